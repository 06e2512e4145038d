"""`arrears web`: the web UI, the REST API and the admin, served by waitress (a pure-Python WSGI server).

Static files (the UI's CSS and scripts) are served by WhiteNoise from the installed package, so
nothing else is needed in front for a local or office installation. On a server, put a reverse
proxy with TLS in front (docs/installation.md, "Serving the web UI")."""

from __future__ import annotations

import logging
import signal
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations() -> list[str]:
    """The migrations the database still lacks, as "app.name" strings."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.prepare_database()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


class Command(BaseCommand):
    help = (
        "Serve the web UI, the REST API (/api/) and the admin (/admin/) with waitress. "
        "Refuses to start while migrations are pending, unless --migrate is given."
    )
    # The database is checked below, with a message that says what to do.
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free)")
        parser.add_argument("--threads", type=int, default=4, help="worker threads answering requests (default 4)")
        parser.add_argument("--migrate", action="store_true", help="apply pending database migrations first")
        parser.add_argument(
            "--trusted-proxy",
            metavar="ADDRESS",
            help="the reverse proxy's address (e.g. 127.0.0.1): its X-Forwarded-For and X-Forwarded-Proto "
            "headers are believed, so logins are throttled per client and HTTPS is recognised",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from waitress import create_server

        from arrears.wsgi import application

        if opts["threads"] < 1:
            raise CommandError("--threads must be at least 1")
        pending = pending_migrations()
        if pending and not opts["migrate"]:
            raise CommandError(
                f"the database {settings.DATABASES['default']['NAME']} lacks {len(pending)} migration(s) "
                f"({', '.join(pending[:3])}{', ...' if len(pending) > 3 else ''}). "
                "Run `arrears migrate` first, or start with `arrears web --migrate`."
            )
        if pending:
            self.stdout.write(f"applying {len(pending)} migration(s) ...")
            call_command("migrate", verbosity=0)

        proxy: dict[str, Any] = {}
        if opts["trusted_proxy"]:
            proxy = {
                "trusted_proxy": opts["trusted_proxy"],
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                "clear_untrusted_proxy_headers": True,
            }
        try:
            server = create_server(
                application,
                host=opts["host"],
                port=opts["port"],
                threads=opts["threads"],
                ident="arrears",
                # A request larger than the import page accepts is refused before it is read.
                max_request_body_size=(settings.ARREARS_MAX_UPLOAD_MB + 1) * 1024 * 1024,
                **proxy,
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc.strerror or exc}") from None
        logging.getLogger("waitress").setLevel(logging.WARNING)

        port = getattr(server, "effective_port", opts["port"])
        host = opts["host"]
        shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
        url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
        self.stdout.write(f"arrears web UI at {url}  (REST API under {url}api/, admin {url}admin/)")
        if host not in {"127.0.0.1", "localhost", "::1"}:
            self.stdout.write(
                f"listening on {host}: the host names users type must be in ARREARS_ALLOWED_HOSTS "
                f"(now: {', '.join(settings.ALLOWED_HOSTS) or 'none'}); put a reverse proxy with TLS in front"
            )
        self.stdout.write("stop with Ctrl+C")
        self.stdout.flush()

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
        self.stdout.write("stopped")
        sys.stdout.flush()
