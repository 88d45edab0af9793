"""Django settings for MineSafe, read only from the environment.

Defaults are safe for production (DEBUG off, secure cookies, a secret key is required); `make run`
and `make test` set the development values explicitly. See .env.example for every variable.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from minesafe.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is false")
    SECRET_KEY = "insecure-development-key-only-for-DEBUG-true"  # noqa: S105 — never used with DEBUG off


def _data_key(name: str, development_default: str) -> str:
    """A key for data at rest (``NAME`` or ``NAME_FILE``): required, at least 32 characters, when DEBUG
    is false; a fixed development value otherwise. Changing it makes what it encrypted unreadable."""
    value = env_secret(name)
    if not value:
        if not DEBUG:
            raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set when DEBUG is false")
        return development_default
    if len(value) < 32:
        raise ImproperlyConfigured(f"{name} must be at least 32 characters")
    return value


# Key for ID numbers at rest (people app): Fernet encryption and the HMAC blind index are derived
# from it. Required when DEBUG is false; changing it makes stored ID numbers unreadable.
PERSON_ID_KEY = _data_key("PERSON_ID_KEY", "insecure-development-person-id-key-only-for-DEBUG-or-tests")
# Key for whistle-blowers' identity and contact details at rest (tip-offs), kept apart from
# SECRET_KEY and PERSON_ID_KEY. Required when DEBUG is false; changing it makes them unreadable.
REPORTER_KEY = _data_key("REPORTER_KEY", "insecure-development-reporter-key-only-for-DEBUG-or-tests")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "minesafe.core",
    "minesafe.accounts",
    "minesafe.registry",
    "minesafe.hazards",
    "minesafe.people",
    "minesafe.tipoffs",
    "minesafe.monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "minesafe.core.middleware.RequestIdMiddleware",
    "minesafe.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "minesafe.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "minesafe.accounts.middleware.IdleTimeoutMiddleware",
    "minesafe.accounts.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:
    # Production static files are served by whitenoise from STATIC_ROOT (collectstatic).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "minesafe.urls"
WSGI_APPLICATION = "minesafe.wsgi.application"
ASGI_APPLICATION = "minesafe.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "minesafe.core.context_processors.navigation",
            ],
        },
    },
]

# SQLite file in the project directory unless DATABASE_URL says otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets pages read while an import writes. IMMEDIATE makes each transaction take the write
    # lock when it begins, so concurrent writers wait (up to the timeout) instead of failing with
    # "database is locked" when a read-then-write transaction tries to upgrade its lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["minesafe.accounts.backends.LockoutModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "minesafe.accounts.validators.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions expire after 30 idle minutes: the cookie age is renewed on every request.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
# META name of the header in which the reverse proxy passes the client's address (e.g. HTTP_X_REAL_IP);
# empty: REMOTE_ADDR. Used by minesafe.core.http.client_address (rate limits). Only behind a proxy
# that overwrites the header, or clients choose their own address.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")
if CLIENT_IP_HEADER and not re.fullmatch(r"[A-Z][A-Z0-9_]*", CLIENT_IP_HEADER):
    raise ImproperlyConfigured(
        f"CLIENT_IP_HEADER must be a request.META name such as HTTP_X_REAL_IP, got {CLIENT_IP_HEADER!r}")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production serves hashed, compressed files collected by `manage.py collectstatic`.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

MEDIA_URL = "media/"  # never served publicly: evidence is downloaded through a scoped view
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
NINJA_PAGINATION_MAX_LIMIT = 500
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20000, minimum=1)
# Run xlsx imports inside the request instead of a background thread (tests, single-threaded servers).
IMPORT_RUN_INLINE = env_bool("IMPORT_RUN_INLINE", False)

# Public tip-offs (举报). Deadlines: DOMAIN §6 (60 days to handle, ≤ 30 days extension, answer within 10
# days of verification); accepting within 15 days is platform policy.
TIPOFF_ACCEPT_DAYS = env_int("TIPOFF_ACCEPT_DAYS", 15, minimum=1)
TIPOFF_HANDLING_DAYS = env_int("TIPOFF_HANDLING_DAYS", 60, minimum=1)
TIPOFF_EXTENSION_MAX_DAYS = env_int("TIPOFF_EXTENSION_MAX_DAYS", 30, minimum=0)
TIPOFF_ANSWER_DAYS = env_int("TIPOFF_ANSWER_DAYS", 10, minimum=1)
TIPOFF_SUBMIT_PER_HOUR = env_int("TIPOFF_SUBMIT_PER_HOUR", 5, minimum=1)  # reports per client address
TIPOFF_SUBMIT_PER_DAY = env_int("TIPOFF_SUBMIT_PER_DAY", 20, minimum=1)
TIPOFF_LOOKUP_FAILURES = env_int("TIPOFF_LOOKUP_FAILURES", 10, minimum=1)  # wrong codes per 15 minutes
TIPOFF_ATTACHMENT_MAX_BYTES = env_int("TIPOFF_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# Monitoring and early warning. The MQTT ingest worker (manage.py monitoring_ingest) subscribes to
# <topic root>/<mine id>/readings with QoS 1 on a persistent session named by the client id.
MONITORING_MQTT_HOST = env_str("MONITORING_MQTT_HOST", "127.0.0.1")
MONITORING_MQTT_PORT = env_int("MONITORING_MQTT_PORT", 1883, minimum=1)
MONITORING_MQTT_USERNAME = env_str("MONITORING_MQTT_USERNAME", "")
MONITORING_MQTT_PASSWORD = env_secret("MONITORING_MQTT_PASSWORD")
MONITORING_MQTT_TLS = env_bool("MONITORING_MQTT_TLS", False)
MONITORING_MQTT_CA_FILE = env_str("MONITORING_MQTT_CA_FILE", "")
MONITORING_MQTT_CLIENT_ID = env_str("MONITORING_MQTT_CLIENT_ID", "minesafe-ingest")
MONITORING_MQTT_TOPIC_ROOT = env_str("MONITORING_MQTT_TOPIC_ROOT", "minesafe")
MONITORING_MQTT_BATCH_READINGS = env_int("MONITORING_MQTT_BATCH_READINGS", 5000, minimum=1)
MONITORING_MQTT_BATCH_MS = env_int("MONITORING_MQTT_BATCH_MS", 200, minimum=1)
MONITORING_HTTP_MAX_BYTES = env_int("MONITORING_HTTP_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
MONITORING_MAX_FUTURE_SECONDS = env_int("MONITORING_MAX_FUTURE_SECONDS", 300, minimum=0)
# Electricity above this (in the sensor's unit) at a halted mine counts as "in use" (明停暗开); site-specific [U].
MONITORING_IDLE_POWER = float(env_str("MONITORING_IDLE_POWER", "5.0"))
# PostgreSQL only: the engine leaves readings younger than this alone (seq is assigned before commit).
MONITORING_ENGINE_LAG_MS = env_int("MONITORING_ENGINE_LAG_MS", 500, minimum=0)
MONITORING_FALSIFICATION_STEP = env_int("MONITORING_FALSIFICATION_STEP", 10, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
