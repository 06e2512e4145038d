"""Django settings, all taken from the environment with defaults that work with nothing set.

With no environment at all, arrears keeps its data in ./arrears.sqlite3 (the embedded default).
Set DATABASE_URL=postgres://user@host:5432/name for PostgreSQL at scale.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext

# Lets admin classes be written as ModelAdmin[Model] for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
WORK_DIR = Path(os.environ.get("ARREARS_HOME", Path.cwd()))


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("ARREARS_DEBUG", False)
# A random key per installation is kept next to the data; an operator may set one explicitly.
_KEY_FILE = WORK_DIR / ".arrears-secret-key"


def _secret_key() -> str:
    explicit = os.environ.get("ARREARS_SECRET_KEY")
    if explicit:
        return explicit
    try:
        return _KEY_FILE.read_text().strip()
    except FileNotFoundError:
        import secrets

        key = secrets.token_urlsafe(50)
        try:
            _KEY_FILE.write_text(key)
            _KEY_FILE.chmod(0o600)
        except OSError:
            pass  # a read-only working directory still runs, with a key per process
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ARREARS_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja's bundled Swagger UI for /api/docs (served locally, not from a CDN).
    "ninja",
    "arrears.history",
    "arrears.companies",
    "arrears.customers",
    "arrears.ledger",
    "arrears.dunning",
    "arrears.documents",
    "arrears.delivery",
    "arrears.accounts",
    "arrears.api",
    "arrears.web",
    "arrears.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the UI's CSS and scripts from the installed package, with no web server in front.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "arrears.urls"
WSGI_APPLICATION = "arrears.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "arrears.web.context.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{WORK_DIR / 'arrears.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a writer takes the lock at BEGIN, so two writers queue instead of failing
        # with "database is locked" halfway through. WAL lets readers go on while one writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # 64 MB page cache: index maintenance on million-row imports stays in memory.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("cs", "Čeština"), ("de", "Deutsch"), ("pl", "Polski"), ("ru", "Русский")]
# The UI's translations (scripts/messages.py makes them); letters have per-language templates.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("ARREARS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
# The UI is for people at work: a session ends after 8 idle hours and with the browser.
SESSION_COOKIE_AGE = 8 * 3600
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("ARREARS_SECURE_COOKIES", False)
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
X_FRAME_OPTIONS = "SAMEORIGIN"  # the admin's template preview shows a letter in a frame

STATIC_URL = "static/"
# Without collectstatic (the embedded default), WhiteNoise serves the files from the apps.
WHITENOISE_USE_FINDERS = True
# Only for an operator who serves the files from a web server (collectstatic); without it,
# WhiteNoise serves them from the installed apps.
STATIC_ROOT = Path(os.environ["ARREARS_STATIC_ROOT"]) if os.environ.get("ARREARS_STATIC_ROOT") else None
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("ARREARS_MEDIA_ROOT", WORK_DIR / "media"))

# Rows written per statement by bulk imports and the engine; large enough to amortise a
# round trip, small enough to keep memory flat.
ARREARS_CHUNK_SIZE = int(os.environ.get("ARREARS_CHUNK_SIZE", "5000"))
# The largest file set one upload on the import page may carry (the web server refuses a bigger
# request before reading it). 200 MB holds about two million invoice rows as CSV.
ARREARS_MAX_UPLOAD_MB = int(os.environ.get("ARREARS_MAX_UPLOAD_MB", "200"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"arrears": {"handlers": ["console"], "level": os.environ.get("ARREARS_LOG_LEVEL", "WARNING")}},
}

# An extra certificate authority to trust for SMTP over TLS (an internal relay with its own CA).
SMTP_CA_FILE = os.environ.get("ARREARS_SMTP_CA_FILE", "")

# Mail to arrears' users (password reset): recorded, then sent over a sender account (accounts/mail.py).
EMAIL_BACKEND = "arrears.accounts.mail.SenderAccountBackend"
# Which sender account sends that mail: "company" or "company/account"; empty = the first company's
# default account.
ARREARS_ACCOUNT_MAIL_SENDER = os.environ.get("ARREARS_ACCOUNT_MAIL_SENDER", "")
