"""Tombstones: a deleted record reaches a partner that syncs its resource (GET /api/v1/deletions/).

The kernel knows no domain model: each app names the models it shows partners, in its AppConfig.ready():

    track_deletions(AccessRestriction, resource="restrictions")
    track_deletions(Region, resource="regions", key="pcode")

Every deletion then writes a Tombstone in the deleting transaction, whoever deletes (the admin, a
shell, a cascade): `post_delete` fires for each row, and a rolled-back delete leaves none.
"""

from django.db.models import Model
from django.db.models.signals import post_delete
from django.utils import timezone

from .models import Tombstone

# resource name → model: the resources whose deletions the feed answers for.
TRACKED: dict[str, type[Model]] = {}


def track_deletions(model: type[Model], *, resource: str, key: str = "pk") -> None:
    """Write a Tombstone naming `resource` and the record's `key` whenever a `model` row is deleted."""
    TRACKED[resource] = model

    def bury(sender, instance, using, **kwargs):
        Tombstone.objects.using(using).create(
            resource=resource,
            object_id=str(getattr(instance, key)),
            organisation_id=getattr(instance, "organisation_id", None),
            deleted_at=timezone.now(),
        )

    post_delete.connect(bury, sender=model, weak=False, dispatch_uid=f"humtrack.tombstone.{resource}")


def tracked_resources() -> list[str]:
    return sorted(TRACKED)
