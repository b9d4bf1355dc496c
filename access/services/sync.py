"""What keeps a syncing partner's copy true when a representation changes without its row being saved.

A partner syncs each resource by `updated_at` (humtrack.api.pagination). A region shows counts of
the restrictions and outages in force there; a restriction or outage shows `is_active`. Those change
when another row is written, and when a start or end recorded in advance comes. Here, once: touching
the rows whose representation changed (`updated_at = now`, no history: the record itself did not
change), in the transaction of the write that changed it; for time, the sweep that beat runs.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

from access.models import AccessRestriction, AidCorridor, Incident, Region, Subscription, UtilityOutage
from access.selectors.status import with_effective_status


def touch_regions(region_ids: Iterable[int | None], *, now: datetime | None = None) -> int:
    """Mark these regions changed (their active counts did): `updated_at = now`. Returns how many."""
    ids = {pk for pk in region_ids if pk is not None}
    if not ids:
        return 0
    return Region.objects.filter(pk__in=ids).update(updated_at=now or timezone.now())


def touch_regions_citing(source_id: int) -> int:
    """A source edited: the regions whose shown status cites it show its title (`status_source_title`):
    those whose current record cites it, and those inheriting such a record."""
    citing = Region.objects.filter(current_status_change__source_id=source_id).values("current_status_change_id")
    shown = with_effective_status(Region.objects.all()).filter(effective_change_id__in=citing)
    return touch_regions(list(shown.values_list("pk", flat=True)))


def touch_facts_whose_time_came(*, now: datetime | None = None) -> dict[str, int]:
    """Touch every restriction and outage whose start or end came since it was last touched, and its region.

    A fact's `is_active` and its region's counts flip when `starts_at`/`ends_at` (`started_at`/
    `restored_at`) passes, with no write. Idempotent: a touched row has `updated_at >= ` the moment,
    so it is not found again; cheap: the partial indexes on the models hold only rows whose moment
    is still to come or has not been touched. Run by beat (access.touch_facts_whose_time_came).
    """
    now = now or timezone.now()
    touched = {}
    region_ids: set[int] = set()
    with transaction.atomic():
        for model, name in ((AccessRestriction, "restrictions"), (UtilityOutage, "outages")):
            due = dict(facts_whose_time_came(model, now).values_list("pk", "region_id"))
            region_ids.update(due.values())
            touched[name] = model._default_manager.filter(pk__in=list(due)).update(updated_at=now)
        touched["regions"] = touch_regions(region_ids, now=now)
    return touched


def facts_whose_time_came(
    model: type[AccessRestriction | UtilityOutage], now: datetime
) -> QuerySet[AccessRestriction] | QuerySet[UtilityOutage]:
    """The facts whose start or end is at or before `now` but after they were last touched.

    Each condition is the predicate of one of the model's partial indexes (in_force.due_index), so
    the database reads only those indexes."""
    due = Q()
    for moment in (model.START_FIELD, model.END_FIELD):
        due |= Q(**{f"{moment}__lte": now, "updated_at__lt": F(moment)})
    return model._default_manager.filter(due)


def touch_followers_of(region: Region) -> int:
    """A region about to be deleted leaves its followers' `regions`: those subscriptions change."""
    return Subscription.objects.filter(regions=region).update(updated_at=timezone.now())


def touch_restrictions_on(corridor_id: int) -> int:
    """A corridor about to be deleted leaves its restrictions with no corridor: they change."""
    return AccessRestriction.objects.filter(corridor_id=corridor_id).update(updated_at=timezone.now())


def touch_incidents_evidencing(link: str, pk: int) -> int:
    """A restriction, corridor or outage about to be deleted leaves the incidents that evidence it with no
    link (`link` null, no save of their own): they change."""
    return Incident.objects.filter(**{f"{link}_id": pk}).update(updated_at=timezone.now())


def _touch_incidents_before_fact_deleted(
    sender: type[Model], instance: AccessRestriction | AidCorridor | UtilityOutage, **kwargs: Any
) -> None:
    links: dict[type[Model], str] = {AccessRestriction: "restriction", AidCorridor: "corridor", UtilityOutage: "outage"}
    touch_incidents_evidencing(links[sender], instance.pk)


def _touch_region_of_deleted_fact(
    sender: type[Model], instance: AccessRestriction | UtilityOutage, **kwargs: Any
) -> None:
    touch_regions([instance.region_id])  # one fewer restriction or outage there


def _touch_before_region_deleted(sender: type[Model], instance: Region, **kwargs: Any) -> None:
    touch_followers_of(instance)


def _touch_before_corridor_deleted(sender: type[Model], instance: AidCorridor, **kwargs: Any) -> None:
    touch_restrictions_on(instance.pk)


def connect_receivers() -> None:
    """From AccessConfig.ready(): deletions of access records reach a syncing partner.

    Tombstones for every resource the API shows (humtrack.deletions), and touches of the rows a
    deletion changes: a fact's region (its counts), a deleted region's followers, a deleted
    corridor's restrictions (their `corridor` becomes null, with no save of their own).
    """
    from django.db.models.signals import post_delete, pre_delete

    from access.models import Source
    from humtrack.deletions import track_deletions

    track_deletions(Region, resource="regions", key="pcode")
    track_deletions(AidCorridor, resource="corridors")
    track_deletions(AccessRestriction, resource="restrictions")
    track_deletions(UtilityOutage, resource="outages")
    track_deletions(Source, resource="sources")
    track_deletions(Subscription, resource="subscriptions")
    track_deletions(Incident, resource="incidents")
    for fact in (AccessRestriction, UtilityOutage):
        post_delete.connect(_touch_region_of_deleted_fact, sender=fact, dispatch_uid=f"access.sync.{fact.__name__}")
    pre_delete.connect(_touch_before_region_deleted, sender=Region, dispatch_uid="access.sync.region")
    pre_delete.connect(_touch_before_corridor_deleted, sender=AidCorridor, dispatch_uid="access.sync.corridor")
    for linked in (AccessRestriction, AidCorridor, UtilityOutage):
        pre_delete.connect(
            _touch_incidents_before_fact_deleted, sender=linked, dispatch_uid=f"access.sync.incidents.{linked.__name__}"
        )
