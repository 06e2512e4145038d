#!/usr/bin/env python3
"""Delivery benchmark: e-mails per second a worker hands to a local SMTP server, each with a
30 kB PDF attached, over plain SMTP and STARTTLS, one worker and (on PostgreSQL) several.

Each worker runs in its own process on a fresh database holding prepared messages (MIME built
and stored, as the worker leaves them after the first attempt), with the account's send interval
at zero. The server (aiosmtpd, in its own process) accepts and discards. The floor, measured in
the same run against the same server: smtplib alone sending the same bytes over one connection,
with no database at all. A worker does more per message than the floor: it claims, re-checks,
records the commit point, and records the result with the journal line and the history event.

    .venv/bin/python benchmarks/delivery_bench.py                  # SQLite, one worker
    .venv/bin/python benchmarks/delivery_bench.py --postgres       # PostgreSQL, 1 and 4 workers
"""

from __future__ import annotations

import argparse
import json
import resource
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arrears.delivery.capture import free_port  # noqa: E402
from tests.delivery.crash_support import arrears_env, own_database, smtp_server_process  # noqa: E402

ATTACHMENT = 30_000


def child_worker() -> None:
    import django

    django.setup()
    from arrears.delivery.worker import Worker

    worker = Worker(schedules=False, batch=50)
    started = time.time()
    worker.run(once=True)
    ended = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"start": started, "end": ended, "sent": worker.sent, "cpu": usage.ru_utime + usage.ru_stime}))


def floor(port: int, folder: Path, security: str, ca: str | None, count: int) -> float:
    """smtplib alone: the same prepared bytes, one connection, no database."""
    messages = [p.read_bytes() for p in sorted(folder.rglob("*.eml"))][:count]
    conn = smtplib.SMTP("127.0.0.1", port, timeout=30)
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the worker does: no Nagle delay
    if security == "starttls":
        conn.starttls(context=ssl.create_default_context(cafile=ca))
    started = time.perf_counter()
    for n, data in enumerate(messages):
        conn.sendmail("credit@crash.example", [f"customer{n}@example.com"], data)
    seconds = time.perf_counter() - started
    conn.quit()
    return len(messages) / seconds


def measure(kind: str, security: str, workers: int, count: int, tls: tuple[str, str] | None, ca: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        port = free_port()
        options = [*(tls or ()), "discard"]
        with own_database(kind, home) as url, smtp_server_process(home / "received", port, *options):
            env = arrears_env(url, home)
            if ca:
                env["ARREARS_SMTP_CA_FILE"] = ca
            subprocess.run(
                [sys.executable, str(ROOT / "tests" / "delivery" / "crash_support.py"), "seed", str(count), str(port),
                 security, str(ATTACHMENT)],
                env=env, check=True, cwd=ROOT,
            )  # fmt: skip
            procs = [
                subprocess.Popen([sys.executable, __file__, "--child"], env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(workers)
            ]
            results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
            floor_rate = floor(port, home / "media", security, ca, min(count, 2000))
    sent = sum(r["sent"] for r in results)
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {
        "sent": sent,
        "seconds": seconds,
        "rate": sent / seconds,
        "per_worker": sent / seconds / workers,
        "cpu_ms": 1000 * sum(r["cpu"] for r in results) / sent,
        "floor": floor_rate,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_worker()
        return
    import trustme

    ca_obj = trustme.CA()
    cert = ca_obj.issue_cert("127.0.0.1", "localhost")
    with tempfile.TemporaryDirectory() as certs:
        cert_pem, key_pem, ca_pem = (Path(certs) / n for n in ("cert.pem", "key.pem", "ca.pem"))
        cert.cert_chain_pems[0].write_to_path(str(cert_pem))
        cert.private_key_pem.write_to_path(str(key_pem))
        ca_obj.cert_pem.write_to_path(str(ca_pem))
        kind = "postgres" if args.postgres else "sqlite"
        configs = [(1, "none"), (1, "starttls")]
        if args.postgres:
            configs += [(4, "none"), (4, "starttls")]
        print(f"{args.messages:,} messages with a {ATTACHMENT // 1000} kB PDF each; database {kind}; "
              f"python {sys.version.split()[0]}")  # fmt: skip
        for workers, security in configs:
            tls = (str(cert_pem), str(key_pem)) if security == "starttls" else None
            m = measure(kind, security, workers, args.messages, tls, str(ca_pem) if tls else None)
            print(
                f"{kind:<9} {security:<9} {workers} worker{'s' if workers > 1 else ' '} {m['sent']:>6,} sent in "
                f"{m['seconds']:6.2f} s = {m['rate']:6.0f} msg/s ({m['per_worker']:5.0f} per worker, "
                f"{m['cpu_ms']:.2f} ms CPU per message); floor (smtplib alone) {m['floor']:6.0f} msg/s"
            )


if __name__ == "__main__":
    main()
