"""Bizweek settings.

Every value comes from the environment, with defaults that are safe to expose: DEBUG off,
hosts limited to loopback, a secret key generated once per data directory. See
docs/deployment.md for the production values.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean env var; accepts 1/0, true/false, yes/no, on/off."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("BIZWEEK_DATA_DIR", PROJECT_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use SECRET_KEY, or a random key kept in the data directory so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("BIZWEEK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "modeltranslation",  # must precede django.contrib.admin
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "channels",
    "ninja",  # serves the API docs' scripts from our static files (CSP), not a CDN
    "django_tasks",
    "django_tasks_db",
    "bizweek.core",
    "bizweek.accounts",
    "bizweek.events",
    "bizweek.companies",
    "bizweek.expo",
    "bizweek.matching",
    "bizweek.scheduler",
    "bizweek.recommend",
    "bizweek.meetings",
    "bizweek.notifications",
    "bizweek.audit",
    "bizweek.dashboard",
    "bizweek.studio",
    "bizweek.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bizweek.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "bizweek.core.siteurl.SiteURLMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bizweek.accounts.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "bizweek.core.middleware.SecurityHeadersMiddleware",  # CSP, no-store for signed-in pages
]

ROOT_URLCONF = "bizweek.urls"
ASGI_APPLICATION = "bizweek.asgi.application"
WSGI_APPLICATION = "bizweek.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bizweek.events.context_processors.current_event",
                "bizweek.notifications.context_processors.unread",
            ],
        },
    },
]

# Database: SQLite in the data directory unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'bizweek.sqlite3'}"),
        # Kept open by the HTTP pool threads (core/handler.py) between requests.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while a writer commits; IMMEDIATE avoids lock upgrade deadlocks.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Threads per server process that run Django's (synchronous) views: how many slow requests
# (an import, a schedule run) a process serves at once without holding up the rest.
# Background jobs (django-tasks): queued in the database by default, run by `bizweek worker` or
# by the worker thread that `bizweek serve` starts. Tests may switch to the immediate backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("BIZWEEK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

HTTP_THREADS = int(os.environ.get("BIZWEEK_HTTP_THREADS", "2"))

# permessage-deflate on WebSockets: off by default. Every message (room signals, chat, show
# chat to each viewer) would be compressed on the server's one event loop for a few hundred
# bytes saved; in a profile of bench/meeting_join.py it was 6-7 % of the server's time.
WS_DEFLATE = env_bool("BIZWEEK_WS_DEFLATE", False)

# Messages a channel (one WebSocket connection, or the control tower's) may hold before the
# layer drops more; Channels' default of 100 is less than one slot's start: 200 rooms joining
# at once send the tower 400 statuses, and a room's peers get offers and ICE candidates in bursts.
CHANNEL_CAPACITY = int(os.environ.get("BIZWEEK_CHANNEL_CAPACITY", "2000"))

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": CHANNEL_CAPACITY},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Booth pages are cached per booth and language (expo/booth_cache.py): room for the
            # whole hall rather than Django's default of 300 entries.
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("BIZWEEK_LOCMEM_MAX_ENTRIES", "20000"))},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "bizweek.core.channel_layer.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "bizweek.accounts.backends.ThrottledModelBackend",  # ModelBackend, hashing bounded
]
# Sign-in throttles (accounts/forms.py): failed attempts per account and per client address
# within BIZWEEK_LOGIN_WINDOW seconds, after which even the right password is refused.
BIZWEEK_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("BIZWEEK_LOGIN_FAILURES_PER_ACCOUNT", "5"))
BIZWEEK_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("BIZWEEK_LOGIN_FAILURES_PER_ADDRESS", "30"))
BIZWEEK_LOGIN_WINDOW = int(os.environ.get("BIZWEEK_LOGIN_WINDOW", "900"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "home"

# Languages: the UI is translated with gettext; content fields with django-modeltranslation.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("ko", _("Korean")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("ko", "zh-hans", "zh-hant", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {
    "default": ("en", "ko", "zh-hans", "zh-hant"),
    "zh-hant": ("zh-hans", "en", "ko"),
    "zh-hans": ("zh-hant", "en", "ko"),
}
MODELTRANSLATION_AUTO_POPULATE = False
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("BIZWEEK_STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve straight from the package when collectstatic was not run
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("BIZWEEK_MEDIA_ROOT", DATA_DIR / "media"))
SERVE_MEDIA = env_bool("BIZWEEK_SERVE_MEDIA", True)

# How long the shared parts of a booth page stay cached. Edits of the booth invalidate them at
# once; this bounds only what the cache key cannot see (renamed sectors or HS codes).
BIZWEEK_BOOTH_CACHE_SECONDS = int(os.environ.get("BIZWEEK_BOOTH_CACHE_SECONDS", "600"))
# How long computed figures stay in the cache. Any write to the tables they read changes their
# key at once (dashboard/cache.py); this only bounds the memory old entries hold.
BIZWEEK_FIGURES_CACHE_SECONDS = int(os.environ.get("BIZWEEK_FIGURES_CACHE_SECONDS", "86400"))
# Booth visits are written in batches at most this often (expo/visits.py); 0: each at once.
BIZWEEK_VISIT_BATCH_SECONDS = float(os.environ.get("BIZWEEK_VISIT_BATCH_SECONDS", "1"))

# Upload limits (bytes). Django refuses larger request bodies before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Request body ceilings, checked by the server before a body is read (core/handler.py):
# multipart uploads (the largest file is a 200 MiB video), and everything else.
BIZWEEK_MAX_UPLOAD_BODY = int(os.environ.get("BIZWEEK_MAX_UPLOAD_BODY", 210 * 2**20))
BIZWEEK_MAX_FORM_BODY = int(os.environ.get("BIZWEEK_MAX_FORM_BODY", 2 * 2**20))
BIZWEEK_MAX_SPREADSHEET_BYTES = int(os.environ.get("BIZWEEK_MAX_SPREADSHEET_BYTES", 20 * 2**20))

# Recommendations: the text-similarity backend, and a local model directory for embeddings.
BIZWEEK_RECOMMENDER_BACKEND = os.environ.get(
    "BIZWEEK_RECOMMENDER_BACKEND", "bizweek.recommend.similarity.TfidfBackend"
)
BIZWEEK_EMBEDDING_MODEL_PATH = os.environ.get("BIZWEEK_EMBEDDING_MODEL_PATH", "")

# Meeting rooms (WebRTC): STUN and TURN URLs, comma-separated; TURN uses coturn's shared
# secret (use-auth-secret) to mint credentials valid until the slot ends plus the margin.
BIZWEEK_STUN_URLS = env_list("BIZWEEK_STUN_URLS", "")
BIZWEEK_TURN_URLS = env_list("BIZWEEK_TURN_URLS", "")
BIZWEEK_TURN_SECRET = os.environ.get("BIZWEEK_TURN_SECRET", "")
BIZWEEK_TURN_MARGIN_MINUTES = int(os.environ.get("BIZWEEK_TURN_MARGIN_MINUTES", "15"))
# "relay" sends all media through TURN (hides participants' addresses from each other).
BIZWEEK_ICE_TRANSPORT_POLICY = os.environ.get("BIZWEEK_ICE_TRANSPORT_POLICY", "all")
# Live PR studio (studio/ingest.py): RTMP listeners take ports from this range (one per live
# show); the console shows encoders rtmp://BIZWEEK_RTMP_PUBLIC_HOST:port/live + the stream key.
_rtmp_low, _sep, _rtmp_high = os.environ.get("BIZWEEK_RTMP_PORTS", "19350-19399").partition("-")
BIZWEEK_RTMP_PORTS = (int(_rtmp_low), int(_rtmp_high or _rtmp_low))
BIZWEEK_RTMP_LISTEN_HOST = os.environ.get("BIZWEEK_RTMP_LISTEN_HOST", "127.0.0.1")
BIZWEEK_RTMP_PUBLIC_HOST = os.environ.get("BIZWEEK_RTMP_PUBLIC_HOST", "127.0.0.1")
BIZWEEK_STUDIO_INGEST = env_bool("BIZWEEK_STUDIO_INGEST", True)  # run listeners in `serve`
# Renditions of a live show: "1" 720p + 360p, "0" 720p only, "auto" the ladder from 2 cores
# (studio/ingest.py; what a 2-core machine sustains is in docs/decisions.md).
BIZWEEK_STUDIO_LADDER = os.environ.get("BIZWEEK_STUDIO_LADDER", "auto")
# Viewer counts are sent to a show's viewers at most this often.
BIZWEEK_STUDIO_PRESENCE_SECONDS = float(os.environ.get("BIZWEEK_STUDIO_PRESENCE_SECONDS", "1"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Bizweek <noreply@bizweek.invalid>")

# Security headers; HTTPS-only cookies when served over TLS (BIZWEEK_HTTPS=1).
HTTPS = env_bool("BIZWEEK_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("BIZWEEK_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
# Only when every subdomain is served over HTTPS too (docs/deployment.md).
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool("BIZWEEK_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = HTTPS and env_bool("BIZWEEK_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions are read on every page (the booth-visit counter keys anonymous visitors on them);
# "cached_db" reads them from the cache and writes through to the database.
SESSION_ENGINE = os.environ.get(
    "BIZWEEK_SESSION_ENGINE", "django.contrib.sessions.backends.cached_db"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_403": {"()": "bizweek.core.logging.OneLineForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["one_line_403"]},
    },
}
