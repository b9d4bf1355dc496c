"""Production: everything unsafe is refused, secrets come from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALERTS_LEASE_SECONDS,
    ALERTS_RETRY_BACKOFF_MAX_SECONDS,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_TASK_TIME_LIMIT,
    DATABASES,
    INSECURE_DEV_SECRET_KEY,
    SECRET_KEY,
    SITE_URL,
    env,
)

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
if SECRET_KEY == INSECURE_DEV_SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# The laptop defaults (SQLite, a broker in files, mail written to files, a per-process cache) would
# lose work or alerts as soon as there are two processes: production names each service.
for required in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL", "METRICS_TOKEN", "SITE_URL"):
    if not env.str(required, default=""):
        raise ImproperlyConfigured(f"Set {required} (see deploy/.env.example).")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
if env.str("CELERY_BROKER_URL").startswith("filesystem://"):
    raise ImproperlyConfigured("Production needs a shared broker: set CELERY_BROKER_URL=redis://...")
# Every alert email links here (unsubscribe, the region): the laptop default would send field staff to
# their own machine.
if not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("Set SITE_URL to the https:// address users reach humtrack at.")
if len(env.str("METRICS_TOKEN")) < 32:
    raise ImproperlyConfigured("Set METRICS_TOKEN to a random value of at least 32 characters.")
# A late-acked task that outlives the visibility timeout would be delivered a second time.
if CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 0) <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT.")
# A retry waits in a worker, unacknowledged, until its countdown ends: a countdown longer than the
# visibility timeout would be handed to a second worker as well.
if CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 0) <= ALERTS_RETRY_BACKOFF_MAX_SECONDS:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than ALERTS_RETRY_BACKOFF_MAX_SECONDS.")
# A live send task must be killed before its claimed deliveries may be claimed by another worker.
if ALERTS_LEASE_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("ALERTS_LEASE_SECONDS must be longer than CELERY_TASK_TIME_LIMIT.")

# Persistent connections, checked before reuse (a PostgreSQL restart or a pooler closing them).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Set but empty (`CSRF_TRUSTED_ORIGINS=` in an env file) means the default too.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[]) or [f"https://{h}" for h in ALLOWED_HOSTS]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Login throttling counts the client's address from X-Forwarded-For, set by the one proxy in front
# (deploy/nginx, the ingress); 0 if the app is reached directly, 2 behind a load balancer and nginx.
HUMTRACK_TRUSTED_PROXIES = env.int("HUMTRACK_TRUSTED_PROXIES", default=1)

# TLS ends at the proxy (nginx, an ingress), which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes call /healthz and /readyz over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# One JSON object per line on stdout, where container runtimes and journald collect it (a
# StreamHandler writes to stderr unless told otherwise).
LOGGING["handlers"]["stdout"]["formatter"] = env.str("LOG_FORMAT", default="json")  # noqa: F405
LOGGING["handlers"]["stdout"]["stream"] = "ext://sys.stdout"  # noqa: F405
