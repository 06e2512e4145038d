from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from arrears.delivery.capture import CaptureServer


class Command(BaseCommand):
    help = "Run a local SMTP server on 127.0.0.1 that saves every message it receives as an .eml file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--out", type=Path, default=Path("captured-mail"), help="folder for the .eml files")

    def handle(self, *args: Any, **opts: Any) -> None:
        with CaptureServer(opts["out"], port=opts["port"]):
            self.stdout.write(f"capturing SMTP on 127.0.0.1:{opts['port']} into {opts['out']}/ (Ctrl-C to stop)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                self.stdout.write("stopped")
