"""Duster settings: one module, driven by environment variables.

With no environment at all Duster runs on SQLite under var/ with no other
service. DATABASE_URL, REDIS_URL, EMAIL_URL and the DUSTER_* variables switch
to the scale-out parts.
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DUSTER_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- Accounts (issues 5 and 6): private files, logins, confirmation mail -----------------
# Whatever this process writes (under var/: the database with its session keys,
# mail files with reset links, the secret key, the cache) is readable by its
# owner only. Set before anything is created; the accounts app also tightens
# what older versions left readable (AccountsConfig.ready).
os.umask(0o077)
AUTHENTICATION_BACKENDS = ["duster.accounts.backends.AccountBackend"]
# Failed logins to one account: a few are free, then each must wait twice as
# long as the last (2 s, 4 s, 8 s …), then the account is locked and its owner
# gets one mail. Failed logins from one address count the same way with more
# room, as many readers may share it. A success or a password reset clears an
# account's count; otherwise counts are forgotten after a quiet day.
LOGIN_FREE_FAILURES = env_int("LOGIN_FREE_FAILURES", 3)
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 10)
LOGIN_ADDRESS_FREE_FAILURES = env_int("LOGIN_ADDRESS_FREE_FAILURES", 20)
LOGIN_ADDRESS_LOCKOUT_FAILURES = env_int("LOGIN_ADDRESS_LOCKOUT_FAILURES", 50)
LOGIN_BACKOFF_SECONDS = env_int("LOGIN_BACKOFF_SECONDS", 2)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 60)
LOGIN_FAILURES_KEPT_HOURS = env_int("LOGIN_FAILURES_KEPT_HOURS", 24)
# Confirmation mail sent again on request: once a minute and a few a day per
# account; per client address a few more a day.
ACCOUNT_MAIL_INTERVAL_SECONDS = env_int("ACCOUNT_MAIL_INTERVAL_SECONDS", 60)
ACCOUNT_MAILS_PER_DAY = env_int("ACCOUNT_MAILS_PER_DAY", 5)
ACCOUNT_ADDRESS_MAILS_PER_DAY = env_int("ACCOUNT_ADDRESS_MAILS_PER_DAY", 20)
# How many proxies in front of Duster append to X-Forwarded-For: the client's
# address is the one the outermost of them saw. 0 means REMOTE_ADDR.
CLIENT_ADDRESS_PROXIES = env_int("CLIENT_ADDRESS_PROXIES", 1 if env_bool("BEHIND_PROXY") else 0)
# --- end of accounts ----------------------------------------------------------------------

VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/."""
    key = env("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = env("SITE_NAME", "Duster")
# The archive's address as readers reach it (ending in "/"): links in mail
# that tasks send with no request to read it from (notifications, digests).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000/")

# HTTPS turns on every transport protection `check --deploy` asks for.
HTTPS = env_bool("HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "duster.lib",  # management commands: task_worker
    "duster.accounts",
    "duster.tags",
    "duster.works",
    "duster.imports",
    "duster.images",
    "duster.search",
    "duster.community",
    "duster.downloads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "duster.images.middleware.ImagesMiddleware",  # /images/ files; img-src: allowed hosts
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "duster.lib.middleware.MalformedRequestMiddleware",
    # Guests' pages from the cache, before any session, user or CSRF work.
    "duster.lib.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "duster.accounts.middleware.TimezoneMiddleware",
]

ROOT_URLCONF = "duster.urls"
WSGI_APPLICATION = "duster.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "duster" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "duster.accounts.context_processors.site",
                "duster.lib.reader.context",
            ],
        },
    },
]
# Every form field drawn the same way: label, help, error, input.
FORM_RENDERER = "duster.lib.form_renderer.FormRenderer"

# Databases: SQLite under var/ unless DATABASE_URL says otherwise.
_sqlite_path = VAR_DIR / "duster.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{_sqlite_path}"),
        # Kept open between requests (opening SQLite with its set-up costs
        # about as much as a work page's queries); checked before reuse.
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE avoids "database is locked" upgrades from read to write.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # The planner's statistics are refreshed by `migrate` (ANALYZE) and by
        # PRAGMA optimize every few thousand requests (duster.lib.sqlite), not
        # on every connect.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SQLITE_NAME") or None}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default cost of a random read (4.0) is a spinning disk's.
    # With it, a page of works got its tags by hashing all the archive's tags
    # (18.8 ms with 52,000 tags) instead of looking up each (1.8 ms). An empty
    # PG_RANDOM_PAGE_COST leaves the server's setting alone.
    # JIT compiling paid 15-19 ms on every search of a million works' text
    # (its estimated cost passes the threshold) and saved nothing.
    _random_page_cost = env("PG_RANDOM_PAGE_COST", "1.1")
    _settings = ["-c jit=off"]
    if _random_page_cost:
        _settings.append(f"-c random_page_cost={_random_page_cost}")
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join([_options.get("options", ""), *_settings]).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set; else one SQLite file under var/, shared
# by every process on the machine (hit counting relies on that) and as quick
# with a million entries as with none (Django's file cache lists its folder on
# every write). Rendered blurbs and daily hit records live here.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "duster.lib.cache.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "duster.lib.cache.SQLiteCache",
            "LOCATION": str(VAR_DIR / "cache.sqlite3"),
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 1_000_000)},
        }
    }

# Sessions are read from the cache (written through to the database): a
# member's page, and a guest's with a session, read no session row.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Whole pages for guests (duster.lib.pagecache): how long an unchanged page is
# kept (0 turns the cache off; changes re-render at once whatever this says,
# only hit counts wait for it), and the s-maxage shared caches (a CDN) may
# serve a page without asking again (0: they revalidate every time).
PAGE_CACHE_ALIAS = "default"
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)
PAGE_CACHE_SHARED_SECONDS = env_int("PAGE_CACHE_SHARED_SECONDS", 0)

# Tags: the cap on additional tags per work; wrangling changes that touch more
# works than TAG_REFILTER_INLINE_MAX re-filter them in a background task.
ADDITIONAL_TAGS_MAX = env_int("ADDITIONAL_TAGS_MAX", 75)
TAG_REFILTER_INLINE_MAX = env_int("TAG_REFILTER_INLINE_MAX", 2000)
TAG_REFILTER_BATCH_SIZE = env_int("TAG_REFILTER_BATCH_SIZE", 1000)

# Where each app process keeps a copy of its search filter index, so a new
# process loads it in a second or two and applies the changes since instead of
# reading every work (duster.search.index). Empty: no copy.
SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(VAR_DIR / "search"))

# Background work: one API (django.tasks). The database backend needs no
# extra service; `make run` starts its worker.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ACTIVATION_DAYS = env_int("ACCOUNT_ACTIVATION_DAYS", 7)
# How long a link to claim an account imported from another archive works.
CLAIM_LINK_DAYS = env_int("CLAIM_LINK_DAYS", 30)

# Mail: files under var/mail unless EMAIL_URL names an SMTP server
# (smtp://user:password@host:587 or smtps://… for TLS).
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Duster <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_url = env("EMAIL_URL")
if _email_url:
    from urllib.parse import unquote, urlsplit

    _email = urlsplit(_email_url)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email.hostname or "localhost",
                "port": _email.port or 25,
                "username": unquote(_email.username or ""),
                "password": unquote(_email.password or ""),
                "use_ssl": _email.scheme == "smtps",
                "use_tls": _email.scheme == "smtp+tls",
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "duster.lib.mail.ReadableFileBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "duster" / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "duster.lib.storage.StaticStorage",
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Images writers upload for their works (duster.images), kept in the default
# storage under images/ and served by the archive at /images/<name>.<ext>.
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 5 * 1024 * 1024)  # one upload
IMAGE_QUOTA_BYTES = env_int("IMAGE_QUOTA_BYTES", 100 * 1024 * 1024)  # all of one writer's
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)  # width × height × frames
# Outside image hosts are set in the admin; each process rereads them this often.
IMAGE_HOSTS_REFRESH_SECONDS = env_int("IMAGE_HOSTS_REFRESH_SECONDS", 10)
# Serve straight from the app folders when nothing was collected yet.
WHITENOISE_USE_FINDERS = DEBUG or not (STATIC_ROOT / "staticfiles.json").exists()

# Comments (duster.community): who may comment on a new work unless its
# creator chooses otherwise ("registered", "anyone" or "nobody"), and the
# limits that keep guest spam out.
COMMENT_POLICY_DEFAULT = env("COMMENT_POLICY_DEFAULT", "registered")
COMMENT_GUEST_PER_HOUR = env_int("COMMENT_GUEST_PER_HOUR", 10)  # per address
COMMENT_MEMBER_PER_MINUTE = env_int("COMMENT_MEMBER_PER_MINUTE", 10)
COMMENT_LINKS_MAX = env_int("COMMENT_LINKS_MAX", 3)  # links in a guest's comment

# A 500,000-character chapter of multi-byte text must reach the form's own
# length check (and its friendly message) instead of a bare 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# The site's own 403 page, in its layout, saying what to do (duster.lib.views).
CSRF_FAILURE_VIEW = "duster.lib.views.csrf_failure"

# Content Security Policy: only our own files; inline scripts need the nonce.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # Inline style attributes only: the sanitizer lets nothing but text-align
    # through in user text, and that alignment must show.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    # Images from the archive only: one on another server tells that server
    # who reads the work. The admin may allow outside hosts (duster.images adds
    # them per request, https only).
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# Downloads (duster.downloads): files are built by the task worker and kept
# under downloads/ in the default storage until the work changes.
DOWNLOAD_WAIT_SECONDS = env_int("DOWNLOAD_WAIT_SECONDS", 5)  # a request waits this long
DOWNLOAD_RETRY_SECONDS = env_int("DOWNLOAD_RETRY_SECONDS", 600)  # a dead or failed build
DOWNLOAD_IMAGE_FETCH = env_bool("DOWNLOAD_IMAGE_FETCH", default=True)  # outside images
DOWNLOAD_IMAGE_BYTES = env_int("DOWNLOAD_IMAGE_BYTES", 5 * 1024 * 1024)
DOWNLOAD_IMAGE_TIMEOUT = env_int("DOWNLOAD_IMAGE_TIMEOUT", 5)  # seconds per outside image
DOWNLOAD_IMAGES_FETCHED = env_int("DOWNLOAD_IMAGES_FETCHED", 100)  # per file built
