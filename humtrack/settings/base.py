"""Settings for every environment, read from the environment (django-environ).

With nothing set, humtrack runs on a laptop: SQLite and an embedded Celery broker under var/ (their
folders made here, only when they are used), emails written as files under var/mail/, DEBUG on.
DATABASE_URL, CELERY_BROKER_URL, CACHE_URL, EMAIL_URL, SECRET_KEY and ALLOWED_HOSTS switch to
PostgreSQL, Redis, SMTP and production values; production.py refuses the laptop's where unsafe.
One `env` reads each variable once, in its topic's section; deploy/.env.example documents every
variable read anywhere (tests/humtrack/settings/test_base_env.py keeps it so). About 330 lines: every
setting stays in this one file, by topic, so that a search for a variable finds its one read; the
framework tables (apps, middleware, DRF, the schema) are a third of it.
"""

from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
# A developer's .env beside manage.py, if there is one; the real environment wins.
env.read_env(BASE_DIR / ".env", overwrite=False)
# Where the laptop's defaults keep their files: SQLite, the broker, emails, beat's schedule.
VAR_DIR = Path(env.str("HUMTRACK_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Django ---------------------------------------------------------------------------------------
# DEBUG, LOG_FORMAT and HUMTRACK_TRUSTED_PROXIES have other defaults under production.py: each is
# kept as set (None when unset) for it, and given the laptop's default here.
debug_as_set = env.bool("DEBUG", default=None)
DEBUG = True if debug_as_set is None else debug_as_set
INSECURE_DEV_SECRET_KEY = "django-insecure-humtrack-development-only"  # noqa: S105  (refused by production.py)  # nosec B105
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
LAPTOP_ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]  # refused by production.py
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=LAPTOP_ALLOWED_HOSTS)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# `make run` serves on this port (humtrack/devrun.py); gunicorn reads PORT itself (deploy/gunicorn.conf.py).
PORT = env.int("PORT", default=8000)
# Where users reach this site: the links in alert emails (unsubscribe, the region).
SITE_URL = (env.str("SITE_URL", default="") or f"http://127.0.0.1:{PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",  # its system checks validate the CORS_* settings
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "simple_history",
    "axes",
    "django_prometheus",
    "health_check",
    "humtrack",
    "access",
    "needs",
    "situation",
    "scenarios",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "humtrack.request_id.RequestIdMiddleware",
    # CORS headers on /api/ (CORS_URLS_REGEX) before anything below answers, the 413 and preflights included.
    "corsheaders.middleware.CorsMiddleware",
    # gzip for /api/ responses when the client accepts it (not the admin's HTML: BREACH); above every
    # middleware that reads or changes a body, so that it compresses what they produced.
    "humtrack.api.compression.ApiGZipMiddleware",
    # A 5xx under /api/ in the API's JSON error shape, never an HTML page (or the debug page).
    "humtrack.api.middleware.ApiServerErrorMiddleware",
    # 413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads it (DRF's parsers do not check).
    "humtrack.security.RequestSizeLimitMiddleware",
    # /healthz, /readyz, /metrics answer before the host check: probes call a pod by its IP.
    "humtrack.ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page and of the API's messages: the session or cookie a person chose, else
    # Accept-Language (partners' error messages), else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "humtrack.urls"
WSGI_APPLICATION = "humtrack.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "humtrack" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
LANGUAGE_CODE = "en"
# The languages of the people humtrack serves: English, Dari (fa-af; ISO 639-3 prs) and Pashto. Django's
# admin chrome in Dari comes from its Persian (fa) catalogue, which gettext falls back to from fa_AF;
# Django has no Pashto, so its own strings stay English there. Catalogues: locale/ (make messages).
LANGUAGES = [("en", "English"), ("fa-af", "دری"), ("ps", "پښتو")]
# Right-to-left by the language's first part (Django's list, with Pashto, which it does not ship).
LANGUAGES_BIDI = ["he", "ar", "ar-dz", "ckb", "fa", "ur", "ps"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOGIN_URL = "/admin/login/"
# The audit history (humtrack/history.py): off only inside a restore (humtrack/backup.py), never by configuration.
SIMPLE_HISTORY_ENABLED = True

STATIC_URL = "/static/"
# The container image collects static files at build time, outside the writable var/ folder.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- Database and cache ---------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'humtrack.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # a laptop (production.py refuses SQLite)
    # SQLite under a web server's threads and a worker at once. A transaction takes the write lock
    # when it begins (IMMEDIATE), waiting up to `timeout` seconds for it: a DEFERRED one that read
    # first cannot wait when it then writes, and fails at once with "database is locked".
    # WAL: readers go on reading while a write commits (with the default rollback journal they wait).
    # Options in the URL (sqlite:///…?timeout=5) win.
    sqlite_options = {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL"}
    DATABASES["default"]["OPTIONS"] = sqlite_options | DATABASES["default"].get("OPTIONS", {})
    # SQLite makes the file, not its folder: a fresh clone has no var/.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# DATABASE_POOLER=pgbouncer: DATABASE_URL names PgBouncer in transaction pooling (deploy/), which hands
# each transaction whichever PostgreSQL connection is free. A server-side cursor (`.iterator()`) lives
# past its transaction on one connection, and a prepared statement on the connection that prepared it:
# both would be looked for on another. Django then reads `.iterator()` in chunks from a client-side
# cursor, and psycopg never prepares (Django's default too; the URL may not turn it on). Session state
# (SET, advisory locks) does not survive a transaction either: humtrack's code keeps none (docs/deploy.md).
DATABASE_POOLERS = ("", "pgbouncer")
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in DATABASE_POOLERS:
    raise ImproperlyConfigured(f"DATABASE_POOLER must be one of {DATABASE_POOLERS}, not {DATABASE_POOLER!r}")
if DATABASE_POOLER == "pgbouncer":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["OPTIONS"] = DATABASES["default"].get("OPTIONS", {}) | {"prepare_threshold": None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Throttling and health checks share this cache: Redis (CACHE_URL=rediscache://…) in production.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://humtrack")}
# A frozen Redis accepts connections and never answers: without a socket timeout every request that
# counts a rate limit would wait for it. With one, the limit fails open (humtrack/rate_limits.py) and
# /readyz reports the cache down. Options in the URL (rediscache://…?socket_timeout=1) win.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["OPTIONS"] = REDIS_CACHE_OPTIONS | CACHES["default"].get("OPTIONS", {})

# --- Email ----------------------------------------------------------------------------------------
# SMTP from EMAIL_URL (smtp://user:password@host:port, smtp+tls://…), else one .eml file per email in
# var/mail/ (humtrack/mail.py), a folder made when the first email is written.
email_url = env.str("EMAIL_URL", default="")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
if email_url:
    vars().update(env.email_url_config(email_url))
else:
    EMAIL_BACKEND = "humtrack.mail.EmlFileBackend"  # one .eml file per email
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="humtrack <alerts@humtrack.localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Alerts (access/alerts/, docs/alerts.md) ------------------------------------------------------
# Further changes a person would get within this many seconds after an alert go into one follow-up.
ALERTS_FLOOD_WINDOW_SECONDS = env.int("ALERTS_FLOOD_WINDOW_SECONDS", default=600)
# At most this many immediate alert emails per person per hour; the rest wait for one follow-up.
ALERTS_HOURLY_CAP = env.int("ALERTS_HOURLY_CAP", default=10)
# Deliveries sent per task, over one SMTP connection; also how many deliveries a fan-out commits at once.
ALERTS_BATCH_SIZE = env.int("ALERTS_BATCH_SIZE", default=200)
# A claim is a lease: the sending worker renews it every third of this while it sends (a heartbeat);
# a claim not renewed for this long belongs to a dead worker and may be claimed again.
ALERTS_LEASE_SECONDS = env.int("ALERTS_LEASE_SECONDS", default=45)
# The sweep, every ALERTS_SWEEP_EVERY_SECONDS, enqueues what is due in the database: retries, follow-ups,
# digests, expired claims, and events and deliveries left unfinished ALERTS_SWEEP_AFTER_SECONDS (broker
# down, worker killed). The database, not the broker, remembers what is due.
ALERTS_SWEEP_AFTER_SECONDS = env.int("ALERTS_SWEEP_AFTER_SECONDS", default=180)
ALERTS_SWEEP_EVERY_SECONDS = env.int("ALERTS_SWEEP_EVERY_SECONDS", default=15)
# Temporary failures (SMTP 4xx, a connection refused, dropped or timed out) retry after base * 2^attempt
# seconds, capped; a message never offered waits half its age, capped the same way. Retried until the
# alert is ALERTS_RETRY_FOR_SECONDS old, then given up (never counted against the address).
ALERTS_RETRY_BACKOFF_SECONDS = env.int("ALERTS_RETRY_BACKOFF_SECONDS", default=30)
ALERTS_RETRY_BACKOFF_MAX_SECONDS = env.int("ALERTS_RETRY_BACKOFF_MAX_SECONDS", default=1800)
ALERTS_RETRY_FOR_SECONDS = env.int("ALERTS_RETRY_FOR_SECONDS", default=86400)
# Alerts waiting this long on the relay make /readyz say "degraded" and the admin warn coordinators.
ALERTS_RELAY_DEGRADED_AFTER_SECONDS = env.int("ALERTS_RELAY_DEGRADED_AFTER_SECONDS", default=300)
# An address whose mail server refuses it (SMTP 5xx) this many times in a row is paused and its
# coordinators told. Temporary failures never count.
ALERTS_PAUSE_AFTER_FAILURES = env.int("ALERTS_PAUSE_AFTER_FAILURES", default=3)
# Daily digests and the staleness notices go out at this hour (UTC).
ALERTS_DIGEST_HOUR = env.int("ALERTS_DIGEST_HOUR", default=6)
# The public "get alerts" page: confirmation emails per address, and requests per client IP
# (django-ratelimit's "count/period", counted in the shared cache, CACHE_URL).
ALERTS_SIGNUP_RATE_PER_ADDRESS = env.str("ALERTS_SIGNUP_RATE_PER_ADDRESS", default="5/h")
ALERTS_SIGNUP_RATE_PER_IP = env.str("ALERTS_SIGNUP_RATE_PER_IP", default="20/h")
# A region is stale when it has had no confirmed status update for this many days.
HUMTRACK_STALE_AFTER_DAYS = env.int("HUMTRACK_STALE_AFTER_DAYS", default=7)

# --- Webhooks (access/alerts/webhooks/, docs/api.md "Webhooks") ----------------------------------
# Allow http:// and loopback or private addresses as webhook URLs: the laptop's default, so that a
# receiver on 127.0.0.1 works under `make run` and the tests. Production refuses it (SSRF).
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=True)
# How far back a partner may ask for a backfill of missed events (POST /api/v1/webhooks/{id}/backfill/).
WEBHOOKS_BACKFILL_MAX_DAYS = env.int("WEBHOOKS_BACKFILL_MAX_DAYS", default=30)
# One POST's connect + send + answer, in seconds; longer is a failed attempt (retried).
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
# How many endpoints one worker POSTs to at once (a thread each, sharing one keep-alive client).
WEBHOOKS_CONCURRENCY = env.int("WEBHOOKS_CONCURRENCY", default=50)
# Retries back off exponentially (doubling from WEBHOOKS_RETRY_BACKOFF_SECONDS, capped at
# WEBHOOKS_RETRY_BACKOFF_MAX_SECONDS, with jitter) until the scheduled delays add up to
# WEBHOOKS_RETRY_FOR_SECONDS; then the delivery has failed (a partner may redeliver it).
WEBHOOKS_RETRY_BACKOFF_SECONDS = env.int("WEBHOOKS_RETRY_BACKOFF_SECONDS", default=10)
WEBHOOKS_RETRY_BACKOFF_MAX_SECONDS = env.int("WEBHOOKS_RETRY_BACKOFF_MAX_SECONDS", default=3600)
WEBHOOKS_RETRY_FOR_SECONDS = env.int("WEBHOOKS_RETRY_FOR_SECONDS", default=86400)
# An endpoint failing (no success at all) for this long is disabled and its people told.
WEBHOOKS_DISABLE_AFTER_SECONDS = env.int("WEBHOOKS_DISABLE_AFTER_SECONDS", default=86400)
# A claim is a lease, renewed every third of it while the run POSTs (a heartbeat, as ALERTS_LEASE_SECONDS):
# a claim not renewed this long belongs to a dead worker and may be claimed again.
WEBHOOKS_LEASE_SECONDS = env.int("WEBHOOKS_LEASE_SECONDS", default=45)
# Beat runs the delivery task this often: retries that came due, and events a broker outage left.
WEBHOOKS_POLL_SECONDS = env.int("WEBHOOKS_POLL_SECONDS", default=10)

# --- Celery ---------------------------------------------------------------------------------------
# Redis in production; with nothing set, kombu's filesystem transport under var/broker so that
# `make run` starts a real worker with no server to install.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):  # a laptop (production.py refuses it)
    for folder in (BROKER_DIR / "queue", BROKER_DIR / "processed", BROKER_DIR / "control"):
        folder.mkdir(parents=True, exist_ok=True)  # kombu writes into them but does not make them
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Without it kombu writes its broadcast (pidbox) files to ./control in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    # Longer than the longest task (CELERY_TASK_TIME_LIMIT): a late-acked task is not redelivered
    # while it still runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Alert sending has its own queue so that it can get its own workers and never waits behind imports;
# a worker started without -Q consumes both (make run), deploy/ runs one worker per queue.
CELERY_TASK_QUEUES = (Queue("default"), Queue("alerts"))
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=1000)
# Celery's Django fixup closes every database connection before and after each task, whatever CONN_MAX_AGE
# says, unless this count is set: a task then ends as a request does instead (humtrack/celery.py), keeping
# its connection for CONN_MAX_AGE seconds. The fixup's own count of tasks between closes is never reached.
CELERY_DB_REUSE_MAX = 2**62
# make run's beat (humtrack/devrun.py makes the folder); deploy/entrypoint.sh passes its own --schedule.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ROUTES = {"access.alerts.*": {"queue": "alerts"}}
# Autodiscovery finds each app's tasks.py; the alert pipeline's tasks are in a package of their own,
# imported here by Celery only (the pipeline enqueues them by name: access/alerts/enqueue.py).
CELERY_IMPORTS = ["access.alerts.tasks"]
# A start or end recorded in advance changes `is_active` and a region's counts when it comes; beat
# touches those rows this often, so a syncing partner sees it at most this many seconds late (docs/api.md).
HUMTRACK_SYNC_TOUCH_EVERY_SECONDS = env.int("HUMTRACK_SYNC_TOUCH_EVERY_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "alerts-sweep-unfinished": {"task": "access.alerts.sweep_unfinished", "schedule": ALERTS_SWEEP_EVERY_SECONDS},
    # Each digest is due at ALERTS_DIGEST_HOUR in its subscriber's zone (some are :30 or :45 off UTC).
    "alerts-daily-digests": {"task": "access.alerts.send_due_digests", "schedule": crontab(minute="*/15")},
    "alerts-staleness-notices": {
        "task": "access.alerts.send_staleness_notices",
        "schedule": crontab(minute=5, hour=ALERTS_DIGEST_HOUR),
    },
    "webhooks-deliver-due": {"task": "access.alerts.deliver_due_webhooks", "schedule": WEBHOOKS_POLL_SECONDS},
    "sync-touch-facts-whose-time-came": {
        "task": "access.touch_facts_whose_time_came",
        "schedule": HUMTRACK_SYNC_TOUCH_EVERY_SECONDS,
    },
}

# --- The partner API ------------------------------------------------------------------------------
# The `resume` link of a sync never points later than this many seconds ago: a slow transaction
# commits rows whose updated_at is older than rows already read (humtrack/api/pagination.py).
HUMTRACK_SYNC_SETTLE_SECONDS = env.int("HUMTRACK_SYNC_SETTLE_SECONDS", default=30)
# Partner API CORS (django-cors-headers): the origins whose browser scripts may call /api/. Empty, the
# default: none (CORS off).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (
    *("accept", "authorization", "content-type", "user-agent", "x-requested-with"),
    *("idempotency-key", "if-match", "if-none-match"),
)
CORS_EXPOSE_HEADERS = (
    *("etag", "link", "location", "retry-after", "idempotent-replayed", "www-authenticate"),
    "x-request-id",
)
# How long a web process trusts a partner token it found without asking the database again: a revoked
# or re-scoped token is refused everywhere within this many seconds (humtrack/api/authentication.py).
HUMTRACK_TOKEN_CACHE_SECONDS = env.float("HUMTRACK_TOKEN_CACHE_SECONDS", default=5.0)
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "humtrack.api.schema.PartnerAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # humtrack/api/permissions.py: GET needs the token's `read` scope, writes `write`.
    "DEFAULT_PERMISSION_CLASSES": ["humtrack.api.permissions.ReadWriteScope"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "humtrack.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "humtrack.api.pagination.UpdatedCursorPagination",
    "EXCEPTION_HANDLER": "humtrack.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["humtrack.api.throttling.PartnerTokenThrottle"],
    # Requests per partner token, counted in the shared cache (CACHE_URL).
    "DEFAULT_THROTTLE_RATES": {"partner": env.str("HUMTRACK_API_RATE", default="1200/minute")},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "humtrack partner API",
    "DESCRIPTION": "Humanitarian access and needs, per p-coded region, with sources and confidence.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The docs page runs with a signed-in coordinator's session: its scripts come from our own static
    # files (drf-spectacular-sidecar, pinned), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components: read-only fields are not asked for in request bodies.
    "COMPONENT_SPLIT_REQUEST": True,
    # Partners integrate from the documentation alone: the schema and the docs need no token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "AccessStatusEnum": "access.choices.AccessStatus",
        "CategoryEnum": "access.choices.ConstraintCategory",  # a fact's `category`, a severity's `indicator`
        "SeverityLevelEnum": "access.choices.SeverityLevel",  # ACAPS's 0–5 (a severity's `overall`)
        "CorridorStatusEnum": "access.choices.CorridorStatus",
        "ConfidenceEnum": "access.choices.Confidence",
        "NeedFigureWarningEnum": "needs.selectors.FIGURE_WARNING_CODES",
        "ErrorCodeEnum": "humtrack.api.exceptions.ErrorCode",
        "SectorEnum": "needs.sectors.SECTOR_CHOICES",  # a figure's `sector`, HAPI's `sector_code`
        "WebhookEventTypeEnum": "access.alerts.webhooks.choices.WebhookEventType",
        "WebhookDeliveryStatusEnum": "access.alerts.webhooks.choices.WebhookDeliveryStatus",
    },
}
# Request size limits (humtrack/security.py answers 413 above this). 10 MiB, as the proxy allows
# (deploy/nginx): room for a bulk upload of thousands of rows, not for a memory exhaustion.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("HUMTRACK_MAX_REQUEST_BYTES", default=10 * 1024 * 1024)
# Form fields per request (the admin's bulk actions post one per selected row): Django's default.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- Security: logins -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
# Lock a username at one address, not the address alone: behind the proxy every coordinator arrives
# from the proxy's address, and five wrong passwords from anyone would otherwise lock everyone out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address is the client's, read from X-Forwarded-For behind this many proxies (production: 1).
AXES_CLIENT_IP_CALLABLE = "humtrack.security.client_ip_address"
trusted_proxies_as_set = env.int("HUMTRACK_TRUSTED_PROXIES", default=None)
HUMTRACK_TRUSTED_PROXIES = 0 if trusted_proxies_as_set is None else trusted_proxies_as_set
# The demo coordinator's password (`manage.py load_demo`).
HUMTRACK_DEMO_PASSWORD = env.str("HUMTRACK_DEMO_PASSWORD", default="panjshir-demo-2021")

# --- Ops: metrics and logs ------------------------------------------------------------------------
# Bearer token a Prometheus scrape of /metrics must send; empty: /metrics is open (a laptop).
# production.py requires it.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# A Celery worker serves its own metrics on this port, at this address, when the port is set
# (humtrack/ops/worker_metrics.py). PROMETHEUS_MULTIPROC_DIR is prometheus_client's: humtrack/ops/metrics.py.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=None)
WORKER_METRICS_ADDR = env.str("WORKER_METRICS_ADDR", default="0.0.0.0")  # noqa: S104  (a container; a VM unit sets 127.0.0.1)
log_format_as_set = env.str("LOG_FORMAT", default=None)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "humtrack.request_id.RequestIdLogFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": log_format_as_set or "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs its configuration at INFO on every start, management commands included.
    # httpx logs every request at INFO: a line per webhook POST (each attempt is recorded on its delivery).
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
