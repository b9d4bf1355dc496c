"""Tests: the base settings with fast hashing, emails kept in memory and login throttling off."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Login throttling is tested on purpose in its own tests; elsewhere it would only get in the way.
AXES_ENABLED = False
# whitenoise warns on every request when the (uncollected) static root does not exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
