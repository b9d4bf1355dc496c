"""Alert subscriptions, the outbox of changes to alert about, and one delivery row per recipient.

The pipeline (access.alerts, see its package docstring): a status or corridor change writes an
AlertEvent in its own transaction; a worker fans it out to AlertDelivery rows (unique per event and
subscription) and sends them. A delivery's status is the only truth about whether it went out.

The models belong to the `access` app (app label and tables unchanged) and are re-exported by
access.models, where Django looks for them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from access.choices import AccessStatus
from access.models.sources import partner_organisation
from humtrack.history import audit_history

from .choices import AlertLanguage, AlertMode, AlertTrigger, BatchKind, DeliveryStatus
from .zones import validate_time_zone


class Subscription(models.Model):
    """A person who wants an email when access changes in the regions they follow."""

    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    regions = models.ManyToManyField("access.Region", related_name="subscriptions")
    include_descendants = models.BooleanField(
        default=True, help_text=_("Also alert about every region under the ones followed.")
    )
    trigger = models.CharField(max_length=12, choices=AlertTrigger.choices, default=AlertTrigger.ANY)
    threshold_status = models.CharField(
        max_length=24,
        choices=[(v, label) for v, label in AccessStatus.choices if v != AccessStatus.UNKNOWN],
        blank=True,
        help_text=_("For 'crossing': alert when a region enters this level or a worse one."),
    )
    include_corridors = models.BooleanField(
        default=True, help_text=_("Also alert when an aid corridor through these regions changes.")
    )
    mode = models.CharField(max_length=12, choices=AlertMode.choices, default=AlertMode.IMMEDIATE)
    active = models.BooleanField(default=True, help_text=_("Off once the person unsubscribes."))
    language = models.CharField(
        max_length=8, choices=AlertLanguage.choices, default=AlertLanguage.ENGLISH, help_text=_("The emails' language.")
    )
    # An IANA name. Blank only until the subscription is saved by a service, which fills in its first
    # region's country's zone (access.alerts.zones.default_time_zone).
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Times in the emails are shown in this zone (an IANA name such as Asia/Kabul), with UTC beside."),
    )
    # Paused by the pipeline after repeated permanent failures (a dead mailbox); a person un-pauses it.
    paused_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    organisation = partner_organisation(_("The partner organisation that created it through the API, if any."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audit_history(excluded_fields=["consecutive_failures"])

    class Meta:
        ordering = ["email", "id"]
        indexes = [models.Index(fields=["active", "paused_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(trigger=AlertTrigger.CROSSING) | ~models.Q(threshold_status=""),
                name="subscription_crossing_has_threshold",
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email

    def clean(self):
        if self.trigger == AlertTrigger.CROSSING and not self.threshold_status:
            raise ValidationError({"threshold_status": _("Choose the level whose crossing triggers an alert.")})

    @property
    def is_receiving(self) -> bool:
        return self.active and self.paused_at is None


class AlertEvent(models.Model):
    """The outbox: a change to alert about, written in the same transaction as the change."""

    class Kind(models.TextChoices):
        STATUS_CHANGE = "status_change", _("Region status change")
        CORRIDOR_CHANGE = "corridor_change", _("Corridor status change")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending fan-out")
        FANNED_OUT = "fanned_out", _("Fanned out")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status_change = models.OneToOneField(
        "access.StatusChange", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_event"
    )
    corridor_change = models.OneToOneField(
        "access.CorridorStatusChange", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_event"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    # What a status change did to the status people see, captured when it was recorded: the fan-out and
    # the emails run later in a worker, when later changes may have moved the picture on
    # (access.alerts.outbox.status_seen_around).
    became_current = models.BooleanField(
        default=True,
        help_text=_("False for a back-dated change that a later one keeps out of force: a correction of history."),
    )
    status_before = models.CharField(
        max_length=24,
        choices=AccessStatus.choices,
        blank=True,
        help_text=_("The effective status in force before the change; empty: no information recorded."),
    )
    status_before_from = models.ForeignKey(
        "access.Region",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The region whose record that status was: the region itself, or the ancestor it took it from."),
    )
    status_after = models.CharField(
        max_length=24,
        choices=AccessStatus.choices,
        blank=True,
        help_text=_("The effective status in force after the change (unchanged by a correction of history)."),
    )
    reached_regions = models.ManyToManyField(
        "access.Region",
        blank=True,
        related_name="+",
        help_text=_("The changed region and the regions under it that take their status from its record."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="status_change", status_change__isnull=False, corridor_change__isnull=True)
                    | models.Q(kind="corridor_change", corridor_change__isnull=False, status_change__isnull=True)
                ),
                name="alert_event_one_change",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.change}"

    @property
    def change(self):
        return self.status_change if self.kind == self.Kind.STATUS_CHANGE else self.corridor_change


class AlertDelivery(models.Model):
    """One recipient's copy of one event. Sent at most once: claimed, then marked sent with the send."""

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    # The region the recipient follows that has no status of its own and takes the changed region's,
    # named in the email; null when they follow the changed region itself or an ancestor of it.
    via_region = models.ForeignKey(
        "access.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # Gathered into one email with others (flood follow-up or digest), not before send_after.
    batch_kind = models.CharField(max_length=12, choices=BatchKind.choices, blank=True, default="")
    send_after = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A worker claims a delivery (pending → sending) with a conditional UPDATE that sets a fresh token,
    # then reads back the rows carrying its token: two workers can never both own one delivery.
    # The claim is a lease: past ALERTS_LEASE_SECONDS a sweep may claim it again (its worker died).
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The Message-ID of the email that carried it (shared by every delivery in a follow-up or digest).
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("alert deliveries")
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["subscription", "created_at"]),
            models.Index(fields=["claim_token"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="unique_delivery_per_event_subscription"),
        ]

    def __str__(self):
        return f"{self.event_id} → {self.subscription_id}: {self.status}"


class CoordinatorNotice(models.Model):
    """An email to a coordinator about the pipeline itself (a paused address, stale regions), sent once.

    `key` names what the notice is about (e.g. "paused:12:2021-09-01T10:00" or "stale:2021-09-01"), so a
    task that runs twice finds the row and does not write the email twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_coordinator_notice")]

    def __str__(self):
        return f"{self.key} → {self.user}"
