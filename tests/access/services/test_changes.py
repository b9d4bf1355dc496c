"""A status change is judged by one rule for a region and a corridor (access/services/changes.py),
a corridor's first status included."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from access.choices import AccessStatus, Confidence, CorridorStatus
from access.models import AidCorridor, CorridorStatusChange, StatusChange
from access.services import change_access_status, change_corridor_status, create_corridor
from humtrack.actor import SYSTEM

pytestmark = pytest.mark.django_db

LONE_SURROGATE = "closed at \ud800 the bridge"  # what JSON's "\ud800" decodes to


def corridor_through(tree, source, **overrides):
    arguments = {
        "actor": SYSTEM,
        "name": "Jabal Saraj – Bazarak",
        "regions": [tree["AF0305"], tree["AF0801"]],
        "status": CorridorStatus.OPEN,
        "source": source,
        "confidence": Confidence.REPORTED,
    }
    return create_corridor(**arguments | overrides)


def change_region(tree, **arguments):
    return change_access_status(region=tree["AF08"], **arguments)


def change_corridor(tree, **arguments):
    corridor = AidCorridor.objects.first() or corridor_through(tree, arguments["source"])
    return change_corridor_status(corridor=corridor, **arguments)


BAD = [
    ("status", {"status": "ajar"}),
    ("confidence", {"confidence": "certain"}),
    ("reason", {"reason": "   "}),
    ("source", {"source": None}),
    ("effective_at", {"effective_at": timezone.now() + timedelta(days=1)}),
]


@pytest.mark.parametrize("change, changes", [(change_region, StatusChange), (change_corridor, CorridorStatusChange)])
@pytest.mark.parametrize("field, overrides", BAD)
def test_a_region_and_a_corridor_refuse_the_same_change_naming_the_same_field(
    tree, source, change, changes, field, overrides
):
    corridor_through(tree, source)
    before = changes.objects.count()
    good = {"status": "closed" if change is change_corridor else "inaccessible", "reason": "Fighting"}
    arguments = good | {"source": source, "confidence": Confidence.REPORTED, "actor": SYSTEM} | overrides
    with pytest.raises(ValidationError) as refused:
        change(tree, **arguments)
    assert field in refused.value.message_dict
    assert changes.objects.count() == before


def test_a_corridors_first_status_cannot_take_effect_in_the_future(tree, source):
    with pytest.raises(ValidationError) as refused:
        corridor_through(tree, source, effective_at=timezone.now() + timedelta(days=1))
    assert "effective_at" in refused.value.message_dict
    assert not AidCorridor.objects.exists()


def test_a_corridors_first_status_needs_a_reason_like_every_change(tree, source):
    with pytest.raises(ValidationError) as refused:
        corridor_through(tree, source, reason=" ")
    assert "reason" in refused.value.message_dict


def test_a_corridor_change_with_a_lone_surrogate_is_the_reasons_error(tree, source):
    corridor = corridor_through(tree, source)
    with pytest.raises(ValidationError) as refused:
        change_corridor_status(
            corridor=corridor,
            status=CorridorStatus.CLOSED,
            reason=LONE_SURROGATE,
            source=source,
            confidence=Confidence.REPORTED,
            actor=SYSTEM,
        )
    assert "reason" in refused.value.message_dict
    corridor.refresh_from_db()
    assert corridor.status == CorridorStatus.OPEN


def test_a_change_stays_as_it_was_recorded(tree, source):
    recorded = change_region(
        tree, status=AccessStatus.CONSTRAINED, reason="Fighting", source=source, confidence="reported", actor=SYSTEM
    )
    recorded.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        recorded.save()
    first = corridor_through(tree, source).status_changes.get()
    with pytest.raises(ValueError, match="append-only"):
        first.save()
