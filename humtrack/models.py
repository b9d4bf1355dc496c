"""Partner organisations and the API tokens that act for them."""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from .history import audit_history


class Organisation(models.Model):
    """A partner: an agency, a cluster, a coordination cell. Records it writes are its own."""

    name = models.CharField(max_length=200, unique=True)
    # Told by email when one of its webhook endpoints is disabled after failing for a day.
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Organisations grant rights (their tokens act for them): who created or renamed one is audited.
    history = audit_history()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")
    ALERTS = "alerts", _("Manage alert subscriptions")
    WEBHOOKS = "webhooks", _("Manage webhook endpoints")


def hash_token_key(key: str) -> str:
    # Keys are 256 random bits: a plain SHA-256 is enough, and lets us look a key up by its hash.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A partner organisation's API key. Only its hash is stored; the key is shown once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, to tell tokens apart in the admin without revealing them.
    prefix = models.CharField(max_length=8, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Who issued, re-scoped or revoked a token. The key's hash is the credential's stand-in: the history
    # does not copy it, nor the last use (a frequent, unaudited bookkeeping update).
    history = audit_history(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.organisation} {self.prefix}… ({', '.join(self.scopes)})"

    @classmethod
    def generate_key(cls) -> str:
        return secrets.token_urlsafe(32)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyKey(models.Model):
    """A partner's `Idempotency-Key` and the response its first successful POST got.

    A retried POST with the same key (same organisation or staff user, same method, path and body)
    gets this response again and changes nothing (humtrack.api.idempotency).
    """

    # "org:<id>" for a token's organisation, "user:<id>" for a staff session: whose key it is.
    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=1000)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="unique_idempotency_key_per_owner")]

    def __str__(self):
        return f"{self.owner} {self.key}"


class Tombstone(models.Model):
    """A record that was deleted, so that a partner syncing its resource deletes its copy too.

    Written in the deleting transaction by humtrack.deletions (the apps say which models); read
    at GET /api/v1/deletions/?resource=… in the sync order, (deleted_at, id).
    """

    resource = models.CharField(max_length=40, help_text=_("The API resource: regions, restrictions, …"))
    # As the API addresses the record: its id, or a region's p-code.
    object_id = models.CharField(max_length=40)
    # The record's organisation, where it had one: who may see the tombstone of a subscription.
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deleted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["deleted_at", "id"]
        indexes = [models.Index(fields=["resource", "deleted_at", "id"])]

    def __str__(self):
        return f"{self.resource} {self.object_id} deleted {self.deleted_at:%Y-%m-%d %H:%M}"
