"""The alert pipeline's value sets. Machine values are a contract (the API and the database): never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertTrigger(models.TextChoices):
    ANY = "any", _("Any change")
    WORSENING = "worsening", _("Only a worsening")
    CROSSING = "crossing", _("Crossing into a chosen level or worse")


class AlertLanguage(models.TextChoices):
    """The languages an alert is written in (settings.LANGUAGES). Each is named in itself: a reader
    picks their own language from a list in any other."""

    ENGLISH = "en", "English"
    DARI = "fa-af", "دری (Dari)"
    PASHTO = "ps", "پښتو (Pashto)"


class AlertMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Daily digest")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    BATCHED = "batched", _("Waiting for a follow-up or digest email")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED_TEMPORARY = "failed_temporary", _("Failed, will retry")
    FAILED_PERMANENT = "failed_permanent", _("Failed permanently")
    SUPPRESSED = "suppressed", _("Not sent (unsubscribed or paused)")


class BatchKind(models.TextChoices):
    NONE = "", _("Own email")
    FOLLOW_UP = "follow_up", _("Follow-up email (flood control)")
    DIGEST = "digest", _("Daily digest")
