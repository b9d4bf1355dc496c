"""The alert pipeline's value sets. Machine values are a contract (the API and the database): never rename one."""

from django.db import models


class AlertTrigger(models.TextChoices):
    ANY = "any", "Any change"
    WORSENING = "worsening", "Only a worsening"
    CROSSING = "crossing", "Crossing into a chosen level or worse"


class AlertLanguage(models.TextChoices):
    """The languages an alert is written in (settings.LANGUAGES). Each is named in itself: a reader
    picks their own language from a list in any other."""

    ENGLISH = "en", "English"
    DARI = "fa-af", "دری (Dari)"
    PASHTO = "ps", "پښتو (Pashto)"


class AlertMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    BATCHED = "batched", "Waiting for a follow-up or digest email"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED_TEMPORARY = "failed_temporary", "Failed, will retry"
    FAILED_PERMANENT = "failed_permanent", "Failed permanently"
    SUPPRESSED = "suppressed", "Not sent (unsubscribed or paused)"


class BatchKind(models.TextChoices):
    NONE = "", "Own email"
    FOLLOW_UP = "follow_up", "Follow-up email (flood control)"
    DIGEST = "digest", "Daily digest"
