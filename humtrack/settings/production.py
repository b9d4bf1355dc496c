"""Production: the laptop's defaults that would be unsafe are refused, each with its reason; secrets come
from the environment.

base.py reads every variable once; production checks what it read, gives DEBUG, LOG_FORMAT and
HUMTRACK_TRUSTED_PROXIES their production defaults, and reads its own few (the HTTPS and connection
settings). Nothing here creates a folder: the image, entrypoint.sh and the units do (deploy/).
"""

from typing import NoReturn

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALERTS_LEASE_SECONDS,
    ALLOWED_HOSTS,
    CACHES,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CELERY_BROKER_URL,
    CELERY_TASK_TIME_LIMIT,
    CSRF_TRUSTED_ORIGINS,
    DATABASES,
    EMAIL_BACKEND,
    INSECURE_DEV_SECRET_KEY,
    LAPTOP_ALLOWED_HOSTS,
    LOGGING,
    METRICS_TOKEN,
    SECRET_KEY,
    SITE_URL,
    WEBHOOKS_LEASE_SECONDS,
    debug_as_set,
    env,
    log_format_as_set,
    trusted_proxies_as_set,
)


def refuse(reason: str) -> NoReturn:
    raise ImproperlyConfigured(f"{reason} (see deploy/.env.example).")


if debug_as_set:
    refuse("DEBUG must be off in production")
DEBUG = False
if SECRET_KEY == INSECURE_DEV_SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    refuse("Set SECRET_KEY to a random value of at least 50 characters")
if not ALLOWED_HOSTS or ALLOWED_HOSTS == LAPTOP_ALLOWED_HOSTS:
    refuse("Set ALLOWED_HOSTS to the host names users reach humtrack at")
# Every alert email links here (unsubscribe, the region): the laptop default would send field staff to
# their own machine.
if not SITE_URL.startswith("https://"):
    refuse("Set SITE_URL to the https:// address users reach humtrack at")

# The laptop defaults (SQLite, a broker in files, mail written to files, a per-process cache) would
# lose work or alerts as soon as there are two processes: production names each service.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    refuse("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
if CELERY_BROKER_URL.startswith("filesystem://"):
    refuse("Production needs a shared broker: set CELERY_BROKER_URL=redis://...")
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    refuse("Throttles count across processes in a shared cache: set CACHE_URL=rediscache://...")
if EMAIL_BACKEND in ("humtrack.mail.EmlFileBackend", "django.core.mail.backends.filebased.EmailBackend"):
    refuse("Alerts are sent by SMTP: set EMAIL_URL=smtp://... (smtp+tls://, smtp+ssl://)")
if len(METRICS_TOKEN) < 32:
    refuse("Set METRICS_TOKEN to a random value of at least 32 characters")

# A late-acked task that outlives the visibility timeout would be delivered a second time.
if CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 0) <= CELERY_TASK_TIME_LIMIT:
    refuse("CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT")
# A live send task must be killed before its claimed deliveries may be claimed by another worker.
# Webhook URLs must be https:// to public addresses (SSRF, access/alerts/webhooks/addresses.py).
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)
if WEBHOOKS_ALLOW_PRIVATE_URLS:
    refuse("WEBHOOKS_ALLOW_PRIVATE_URLS would let partners make humtrack POST to internal addresses (SSRF)")

# The heartbeat renews a claim every third of the lease; shorter, a slow database could miss a beat.
if ALERTS_LEASE_SECONDS < 15:
    refuse("ALERTS_LEASE_SECONDS must be at least 15")
if WEBHOOKS_LEASE_SECONDS < 15:
    refuse("WEBHOOKS_LEASE_SECONDS must be at least 15")

# Persistent connections, checked before reuse (a PostgreSQL restart or a pooler closing them).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Set but empty (`CSRF_TRUSTED_ORIGINS=` in an env file) means the default too.
CSRF_TRUSTED_ORIGINS = CSRF_TRUSTED_ORIGINS or [f"https://{host}" for host in ALLOWED_HOSTS]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Login throttling counts the client's address from X-Forwarded-For, set by the one proxy in front
# (deploy/nginx, the ingress); 0 if the app is reached directly, 2 behind a load balancer and nginx.
HUMTRACK_TRUSTED_PROXIES = 1 if trusted_proxies_as_set is None else trusted_proxies_as_set

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
LOGGING["handlers"]["stdout"]["formatter"] = log_format_as_set or "json"
LOGGING["handlers"]["stdout"]["stream"] = "ext://sys.stdout"
