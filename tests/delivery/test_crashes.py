"""Exactly once, whatever crashes: workers killed with SIGKILL while sending, and several workers
sharing one outbox on PostgreSQL. Real processes, a real SMTP server on 127.0.0.1 (in its own
process, so it keeps counting), a database of the test's own."""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import pytest

from arrears.delivery.capture import free_port
from tests.delivery.crash_support import (
    ROOT,
    own_database,
    received,
    smtp_server_process,
    start_worker,
    statuses,
    wait_started,
)

DATABASE = os.environ.get("ARREARS_TEST_DB", "sqlite")
pytestmark = pytest.mark.skipif(
    DATABASE == "postgres" and not os.environ.get("DATABASE_URL"), reason="PostgreSQL run without DATABASE_URL"
)


def _seed(url: str, home: Path, count: int, port: int) -> None:
    import subprocess

    from tests.delivery.crash_support import arrears_env

    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "delivery" / "crash_support.py"), "seed", str(count), str(port)],
        env=arrears_env(url, home),
        check=True,
        cwd=ROOT,
    )


def test_workers_killed_at_random_points_lose_nothing_and_send_nothing_twice(tmp_path: Path) -> None:
    count, kills_wanted = 1000, 25
    port, mail = free_port(), tmp_path / "received"
    rng = random.Random(20261122)
    kills = restarts = 0
    with own_database(DATABASE, tmp_path) as url, smtp_server_process(mail, port):
        _seed(url, tmp_path, count, port)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            worker = start_worker(url, tmp_path)
            wait_started(worker)
            if kills < kills_wanted:
                time.sleep(rng.uniform(0.0, 0.35))  # somewhere in the middle of sending
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
                    kills += 1
                    continue
            _, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            restarts += 1
            left = [s for s in statuses(url).values() if s in ("queued", "sending")]
            if not left:
                break
        final = statuses(url)
        got = received(mail)

    uncertain = [m for m, s in final.items() if s == "uncertain"]
    sent = [m for m, s in final.items() if s == "sent"]
    print(
        f"\n{DATABASE}: {count} messages, {kills} SIGKILLs, {restarts} clean runs; sent {len(sent)}, "
        f"uncertain {len(uncertain)} (of which the server had {sum(got[m] for m in uncertain)})"
    )
    assert kills == kills_wanted
    assert set(final.values()) <= {"sent", "uncertain"}, "every message ends sent, or uncertain for a person"
    assert len(final) == count
    assert all(got[m] == 1 for m in sent), "every message recorded as sent arrived exactly once"
    assert all(got[m] <= 1 for m in uncertain), "an uncertain message is never sent again"
    assert max(got.values()) == 1, "no message arrived twice"
    assert set(got) <= set(final), "the server got nothing that is not in the outbox"
    assert len(uncertain) <= kills, "only a kill inside the final reply's window leaves a message uncertain"


@pytest.mark.skipif(DATABASE != "postgres", reason="several workers share an outbox on PostgreSQL only")
def test_four_workers_on_postgresql_send_each_message_exactly_once(tmp_path: Path) -> None:
    count = 10_000
    port, mail = free_port(), tmp_path / "received"
    with own_database("postgres", tmp_path) as url, smtp_server_process(mail, port):
        _seed(url, tmp_path, count, port)
        started = time.monotonic()
        workers = [start_worker(url, tmp_path, "--batch", "20") for _ in range(4)]
        outputs = [w.communicate(timeout=600) for w in workers]
        seconds = time.monotonic() - started
        assert all(w.returncode == 0 for w in workers), [err for _, err in outputs]
        final = statuses(url)
        got = received(mail)
    sent_by = [int(out.strip().rsplit(":", 1)[-1].split()[0]) for out, _ in outputs]
    print(f"\n4 workers, {count} messages in {seconds:.1f} s; sent per worker: {sent_by}")
    assert set(final.values()) == {"sent"}
    assert len(got) == count, "every message arrived"
    assert max(got.values()) == 1, "none arrived twice"
    assert sum(sent_by) == count
    assert sum(1 for n in sent_by if n > 0) >= 2, "the workers shared the work"
