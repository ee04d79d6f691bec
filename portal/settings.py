"""Django settings for Amend, read from the environment.

Every setting that can be changed from the environment is listed in the README's
configuration table. Development defaults need nothing installed or running beyond
what `make demo` starts; `DJANGO_ENV=production` refuses to start without the values
a real deployment must set (see `_require_production_settings`).
Long on purpose: one flat list of every setting, so each is found in one place.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_int, env_list, env_str, parse_email_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

DEV_SECRET_KEY = "dev-insecure-amend-secret-key-never-use-in-production-0123456789"  # noqa: S105 - refused in production
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", ".localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public origin used in links that leave the request cycle (emails, signed order links).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Amend's own host names; any other host is looked up as a store's verified own domain. No store can
# claim these, nor any ALLOWED_HOSTS entry or SITE_URL's host (tenants/hosts.py). In production they
# default to every ALLOWED_HOSTS entry but `*`, and SITE_URL's host.
PRIMARY_HOSTS = frozenset(
    env_list(
        "PRIMARY_HOSTS",
        [host for host in ALLOWED_HOSTS if host != "*"] + [urlsplit(SITE_URL).hostname or ""]
        if PRODUCTION
        else ["127.0.0.1", "localhost", "testserver"],
    )
) - {""}


def _dev_encryption_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"field-encryption:{secret}".encode()).digest()).decode()


# Fernet keys for encrypting secrets at rest (platform tokens). The first key encrypts;
# every key decrypts, so a new key is added in front and old ones are dropped after re-encryption.
FIELD_ENCRYPTION_KEYS = env_list(
    "FIELD_ENCRYPTION_KEYS", [] if PRODUCTION else [_dev_encryption_key(SECRET_KEY)]
)


def _require_production_settings() -> None:
    """Refuse to start a production process without the settings a deployment must provide."""
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DJANGO_ENV=production."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must list the host names served when DJANGO_ENV=production."
        )
    if not FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold at least one Fernet key when DJANGO_ENV=production "
            "(see the README for how to make one)."
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")


if PRODUCTION:
    _require_production_settings()

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal.apps.PortalConfig",
    "tenants.apps.TenantsConfig",
    "cancellations.apps.CancellationsConfig",
]

MIDDLEWARE = [
    "portal.middleware.RequestLogMiddleware",
    "portal.middleware.RequestMemoMiddleware",
    "portal.integrations.webhooks.WebhookIntakeMiddleware",
    "portal.tenancy.StoreDomainMiddleware",
    "portal.app_proxy.AppProxyMiddleware",
    "portal.localization.StoreClockMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.accounts.middleware.StaffSessionMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.tenancy.branding",
            ],
        },
    },
]

# PostgreSQL only. Without DATABASE_URL we use the embedded server that `make` starts.
DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:54329/amend")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL (postgres://...); no other database is supported."
    )
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache shared by every process: allauth's rate limits and login codes rely on it.
# Redis when CACHE_URL is set; otherwise PostgreSQL (a real, shared cache that needs no server).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": CACHE_URL}}
    # Sessions are read from Redis and written to both, so a page reads no session row from PostgreSQL
    # while PostgreSQL still holds every session (a flushed cache signs nobody out).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "amend_cache"}
    }

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "portal.accounts.adapter.AccountAdapter"

# How long a signed order link (sent in emails) opens the order without signing in.
ORDER_LINK_MAX_AGE = env_int("ORDER_LINK_MAX_AGE_DAYS", 30) * 24 * 3600

# Sessions: rotated on login by Django; idle staff sessions expire (see portal.middleware).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Outside production, serve static files straight from the apps (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))

# Email: EMAIL_URL picks the backend. Development keeps every message in the database,
# readable at /dev/mail/; production defaults to SMTP on localhost.
EMAIL_URL = env_str("EMAIL_URL", "smtp://localhost:25" if PRODUCTION else "devmail://")
globals().update(parse_email_url(EMAIL_URL))
# The development mailbox at /dev/mail/: on with DEBUG by default (the demo turns it on with DEBUG
# off); never in production.
DEV_MAILBOX = not PRODUCTION and env_bool("DEV_MAILBOX", default=DEBUG)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Amend <no-reply@amend.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production. Without a broker URL, a filesystem broker under .data/
# lets the demo run a real worker process with no server to install.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport, acknowledging without a two-second wait (portal/broker.py).
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"
    _broker_dir = Path(env_str("CELERY_FILESYSTEM_BROKER_DIR", str(DATA_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The worker looks for new messages this often when it has none it may take (with one task
        # prefetched, that is after every task): kombu's default second made the demo run a task a second.
        "polling_interval": env_int("CELERY_FILESYSTEM_POLL_MS", 5) / 1000,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task not acknowledged within this many seconds is delivered again (at-least-once).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "amend")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 150)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"

# Webhooks received but not yet processed (a lost task, a broker outage) are sent for processing again.
CELERY_BEAT_SCHEDULE = {
    "sweep-webhook-inbox": {"task": "webhooks.sweep_inbox", "schedule": 300.0},
    # Approved requests whose task was lost (a crash between commit and enqueue, a killed worker), and
    # notifications never sent, are sent to a worker again; staff on digest mode get their summary.
    "sweep-stuck-requests": {"task": "requests.sweep_stuck", "schedule": 60.0},
    "send-staff-digests": {"task": "notifications.send_staff_digests", "schedule": 900.0},
    # Staff hear of a customer's edits once per edit session, a few minutes after its last save.
    "send-edit-session-alerts": {"task": "notifications.send_edit_session_alerts", "schedule": 60.0},
    # Outgoing webhooks whose retry is due (or whose task was lost); API idempotency keys past their time.
    "sweep-outgoing-webhooks": {"task": "notifications.sweep_webhooks", "schedule": 60.0},
    "purge-idempotency-keys": {"task": "portal.purge_idempotency_keys", "schedule": 3600.0},
    # Bulk cancellations whose drain task was lost (a killed worker, a broker outage) are picked up again.
    "sweep-bulk-cancel-jobs": {"task": "bulk.sweep", "schedule": 30.0},
    # Tags an automation rule added whose push to the platform was lost or refused are sent again.
    "sweep-order-tags": {"task": "orders.sweep_tags", "schedule": 300.0},
    # Insights rollups: fold in the days that ended since the last refresh.
    "refresh-insights": {"task": "insights.refresh_due", "schedule": 3600.0},
    # Order imports (a platform's bulk export) that nothing moved for a while are checked again.
    "sweep-order-imports": {"task": "orders.sweep_imports", "schedule": 300.0},
    # Stores' own domains: new ones checked for their proof, verified ones rechecked daily.
    "sweep-store-domains": {"task": "hosts.sweep_domains", "schedule": 300.0},
    "sweep-fulfilment-holds": {"task": "holds.sweep", "schedule": 60.0},  # due holds; half-done ones again
}

# Importing a store's order history in one platform export (cancellations/orders/imports.py): how often
# to ask the platform while it exports, how long one task mirrors before handing on to the next, and
# after how long an import nothing moved is looked at again.
# ORDER_IMPORT_DAYS: how far back the import after install reaches (0: the store's whole history).
ORDER_IMPORT_DAYS = env_int("ORDER_IMPORT_DAYS", 0)
ORDER_IMPORT_POLL_SECONDS = env_int("ORDER_IMPORT_POLL_SECONDS", 10)
ORDER_IMPORT_READ_SECONDS = env_int("ORDER_IMPORT_READ_SECONDS", 60)
ORDER_IMPORT_STALLED_SECONDS = env_int("ORDER_IMPORT_STALLED_SECONDS", 600)

# Stores' own domains (tenants/domains.py, cancellations/hosts/). A verified domain whose proof is
# missing this many checks in a row is lost and stops serving. The proof source is looked up by name
# so tests can answer for DNS and HTTPS.
STORE_DOMAIN_LOST_AFTER_CHECKS = env_int("STORE_DOMAIN_LOST_AFTER_CHECKS", 3)
STORE_DOMAIN_PROOF_SOURCE = "cancellations.hosts.checks.NetworkProofSource"
STORE_DOMAIN_CHECK_TIMEOUT_SECONDS = 5.0

# Carrying approved requests out on the platform (cancellations/requests/execution.py, docs/requests.md).
# Transient platform errors retry after base * 2^(attempt-1) seconds (jittered, capped at max), up to
# REQUEST_MAX_ATTEMPTS attempts, then the request fails for staff to retry. A worker holds a request
# for the lease; work overdue by more than the grace is sent again by the sweep.
REQUEST_ADAPTER_FACTORY = "cancellations.platforms.get_adapter"
REQUEST_RETRY_BASE_SECONDS = env_int("REQUEST_RETRY_BASE_SECONDS", 5)
REQUEST_RETRY_MAX_SECONDS = env_int("REQUEST_RETRY_MAX_SECONDS", 900)
REQUEST_MAX_ATTEMPTS = env_int("REQUEST_MAX_ATTEMPTS", 10)
# Edits to an order by one person no more than this many minutes apart are one edit session: the
# policy's cap counts sessions, and staff hear of a session's edits once, this long after its last save.
EDIT_SESSION_MINUTES = env_int("EDIT_SESSION_MINUTES", 5)
REQUEST_EXECUTION_LEASE_SECONDS = env_int("REQUEST_EXECUTION_LEASE_SECONDS", 300)
if REQUEST_EXECUTION_LEASE_SECONDS <= CELERY_TASK_TIME_LIMIT:
    # A lease that ends while the task may still run lets the sweep hand the request to a second worker.
    raise ImproperlyConfigured(
        f"REQUEST_EXECUTION_LEASE_SECONDS must be longer than CELERY_TASK_TIME_LIMIT "
        f"({REQUEST_EXECUTION_LEASE_SECONDS} <= {CELERY_TASK_TIME_LIMIT})."
    )
REQUEST_SWEEP_GRACE_SECONDS = env_int("REQUEST_SWEEP_GRACE_SECONDS", 60)
REQUEST_JOB_POLL_SECONDS = env_int("REQUEST_JOB_POLL_SECONDS", 2)
REQUEST_JOB_FIRST_POLL_MS = env_int("REQUEST_JOB_FIRST_POLL_MS", 250)  # the first look at a new job
REQUEST_JOB_TIMEOUT_SECONDS = env_int("REQUEST_JOB_TIMEOUT_SECONDS", 6 * 3600)

# Bulk cancellation (cancellations/bulk/drain.py). A drain task works on one job for a slice of time,
# BATCH orders at a time with CONCURRENCY platform calls in flight, holding a lease it renews between
# batches; a lease not renewed for LEASE seconds (a killed worker) is taken over by the sweep. Shopify
# stores drain at the rate Shopify reports; built-in stores at BUILTIN_RATE cancellations a second.
BULK_CANCEL_BATCH_SIZE = 25
BULK_CANCEL_CONCURRENCY = 4
BULK_CANCEL_SLICE_SECONDS = 30
BULK_CANCEL_LEASE_SECONDS = 60
BULK_CANCEL_BUILTIN_RATE = 20
BULK_CANCEL_MAX_ORDERS = 10_000
# Shopify finishes a cancel in the background: how long to wait before looking, and before giving up.
BULK_CANCEL_CONFIRM_DELAY_SECONDS = 0.5
BULK_CANCEL_CONFIRM_TIMEOUT_SECONDS = 120

# The Shopify app. Without a key and secret, install answers "not configured" and every webhook is
# refused (401); nothing else needs them, so they are not required at start-up.
SHOPIFY_API_KEY = env_str("SHOPIFY_API_KEY")
SHOPIFY_API_SECRET = env_str("SHOPIFY_API_SECRET")
# While the app's secret is being rotated, webhooks signed with the previous one are still accepted.
SHOPIFY_API_PREVIOUS_SECRET = env_str("SHOPIFY_API_PREVIOUS_SECRET")
SHOPIFY_API_VERSION = env_str("SHOPIFY_API_VERSION", "2026-07")
# Where a shop's Admin API and OAuth pages are; {shop} is the shop's myshopify.com domain.
# Tests and staging point it at a local Shopify-like server.
SHOPIFY_API_ORIGIN = env_str("SHOPIFY_API_ORIGIN", "https://{shop}").rstrip("/")
_ORDER_SCOPES = ["read_orders", "write_orders", "write_order_edits", "read_products", "write_draft_orders"]
_PROXY_SCOPES = ["write_app_proxy"]  # the storefront's app proxy
_HOLD_SCOPES = ["write_merchant_managed_fulfillment_orders", "write_third_party_fulfillment_orders"]  # holds
# Store credit: the bonus (storeCreditAccountCredit) and a look at the customer's account first.
_CREDIT_SCOPES = ["read_store_credit_accounts", "write_store_credit_account_transactions"]
SHOPIFY_SCOPES = env_list("SHOPIFY_SCOPES", _ORDER_SCOPES + _HOLD_SCOPES + _PROXY_SCOPES + _CREDIT_SCOPES)
SHOPIFY_HTTP_TIMEOUT = env_int("SHOPIFY_HTTP_TIMEOUT", 10)
# The origins the customer account and thank-you page extensions call Amend's JSON endpoints from
# (/api/v1/shopify/extension/); CORS answers these origins and no other. Shopify runs the extensions'
# code at https://extensions.shopifycdn.com (see docs/decisions/0101-customer-account-extension.md).
SHOPIFY_EXTENSION_ORIGINS = env_list("SHOPIFY_EXTENSION_ORIGINS", ["https://extensions.shopifycdn.com"])
SHOPIFY_APP_PROXY_MAX_AGE = env_int("SHOPIFY_APP_PROXY_MAX_AGE", 300)  # s a proxied request may be off now
# A stored Shopify delivery wakes the inbox from a thread of the web process (one wake per burst, no
# round trip before the 200); false: inline, before the answer (the tests, which run tasks inline).
WEBHOOK_INBOX_WAKE_RELAY = env_bool("WEBHOOK_INBOX_WAKE_RELAY", True)
SHOPIFY_APP_PROXY_FORM_MAX_AGE = env_int("SHOPIFY_APP_PROXY_FORM_MAX_AGE", 1800)  # s a proxied form lasts
if PRODUCTION and not SHOPIFY_API_ORIGIN.startswith("https://"):
    raise ImproperlyConfigured("SHOPIFY_API_ORIGIN must be an https:// origin when DJANGO_ENV=production.")

REST_FRAMEWORK = {
    # A bearer token first (its 401 carries WWW-Authenticate); without one, staff's own session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API reads JSON only: a form or multipart body is a 415, never read as an empty input.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttling.CallerRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per token (or per person using their session), counted in the shared cache:
# "<n>/<second|minute|hour|day>"; empty turns the limit off.
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/minute")
# How long an Idempotency-Key's first answer is kept for replays.
API_IDEMPOTENCY_TTL_HOURS = env_int("API_IDEMPOTENCY_TTL_HOURS", 24)
SPECTACULAR_SETTINGS = {
    "TITLE": "Amend API",
    "DESCRIPTION": "Orders, requests, policy, rules and insights of the stores a token reaches.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # The default hook, the list of error codes appended to the description, then the links between
    # operations (an answer's ids feeding the next call).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.error_catalogue.describe_error_codes",
        "portal.api.links.add_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RequestKindEnum": "cancellations.models.requests.RequestKind",
        "ChangeKindEnum": "cancellations.models.requests.RequestChange.Kind",
        "RequestStatusEnum": "cancellations.models.requests.RequestStatus",
    },
    # Swagger UI's files come from the drf-spectacular-sidecar package, served by WhiteNoise.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "displayOperationId": True},
}

# Outgoing webhooks to a store's own endpoints (cancellations/notifications/webhooks.py). A failed delivery
# is tried again after base * 2^(attempt-1) seconds (jittered, capped at max), up to the maximum.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
# Endpoints must be https:// on a public address; development may also send to http:// and to this machine.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=not PRODUCTION)

# django-allauth: email is the identity; customers sign in by a code, staff by password (+ TOTP).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env_int("LOGIN_CODE_TIMEOUT", 600)
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_SESSION_REMEMBER = None
# How many proxies in front of Amend (load balancer, ingress) append to X-Forwarded-For: the client
# address is read that many entries from the right. 0 ignores the header (nothing in front of us).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Password guessing (portal/accounts/throttle.py): per account and address, the first
# SIGN_IN_FREE_FAILURES wrong passwords cost nothing; each further one makes that address wait twice
# as long before its next try (1 s, 2 s, 4 s, ... up to SIGN_IN_MAX_DELAY_SECONDS). The right
# password from any other address, or after the wait, always signs in; a password reset clears it.
SIGN_IN_FREE_FAILURES = env_int("SIGN_IN_FREE_FAILURES", 5)
SIGN_IN_MAX_DELAY_SECONDS = env_int("SIGN_IN_MAX_DELAY_SECONDS", 15 * 60)
SIGN_IN_FORGET_AFTER_SECONDS = env_int("SIGN_IN_FORGET_AFTER_SECONDS", 3600)
ACCOUNT_RATE_LIMITS = {
    # Per client address, generous: an office or a mobile network shares one address.
    "login": env_str("SIGN_IN_ATTEMPTS_PER_IP", "120/m/ip"),
    "login_failed_ip": env_str("SIGN_IN_FAILURES_PER_IP", "100/m/ip"),
    # allauth's own use: wrong two-factor codes, per person (a password sign-in does not count here).
    "login_failed": "10/m/ip,5/5m/key",
    "request_login_code": "10/m/ip,3/m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    # Ours: "find my order" by number + email, which emails a link; and the withdrawal function's lookup
    # (its confirm step, after a lookup that found the order, is never limited).
    "find_order": "10/m/ip,3/10m/key",
    "withdrawal_lookup": "10/m/ip,5/10m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Amend"

# Security headers. Production turns on HTTPS-only cookies, HSTS and the SSL redirect.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data: https://cdn.shopify.com; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'",
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    if env_bool("SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our own request line replaces Django's and the dev server's.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
