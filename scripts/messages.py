"""The UI's translations: extract the English texts into .po files and compile them to .mo.

    .venv/bin/python scripts/messages.py extract   # needs GNU gettext (xgettext), a developer's tool
    .venv/bin/python scripts/messages.py compile   # pure Python (Babel): .po -> .mo

The compiled .mo files are committed, so that an installation needs neither gettext nor a build
step; tests/web/test_translations.py fails when a .mo file no longer matches its .po file or when a
text has no translation.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "arrears"
LOCALE = PACKAGE / "locale"
LANGUAGES = ("cs", "de", "pl", "ru")


def extract() -> None:
    # A throwaway home: settings would otherwise leave a secret key file in the package folder.
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="arrears.settings", ARREARS_HOME=tempfile.mkdtemp())
    LOCALE.mkdir(exist_ok=True)
    args = [sys.executable, "-m", "django", "makemessages", "--no-location", "--no-obsolete"]
    args += [f"--locale={code}" for code in LANGUAGES]
    # Only the UI and what it shows; the letters have their own per-language templates.
    args += ["--ignore=core/*", "--ignore=*/migrations/*", "--ignore=demo/data/*"]
    subprocess.run(args, cwd=PACKAGE, env=env, check=True)


def compile_all() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        print(f"compiled {po_path.relative_to(ROOT)}")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "extract":
        extract()
    elif what == "compile":
        compile_all()
    else:
        raise SystemExit(__doc__)
