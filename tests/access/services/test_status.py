import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from access.choices import AccessStatus, Confidence
from access.models import Region, StatusChange
from access.selectors.status import annotate_status_as_of
from access.services import change_access_status
from humtrack.actor import Actor
from tests.factories import SourceFactory, UserFactory, make_tree
from tests.infrastructure import require_postgresql

pytestmark = pytest.mark.django_db


def change(region, status, source, **kwargs):
    kwargs.setdefault("reason", "Fighting on the road")
    kwargs.setdefault("confidence", Confidence.REPORTED)
    kwargs.setdefault("actor", Actor())
    return change_access_status(region=region, status=status, source=source, **kwargs)


def test_a_change_is_recorded_with_its_provenance_and_becomes_current(tree, source):
    user = UserFactory()
    panjshir = tree["AF08"]
    recorded = change(panjshir, AccessStatus.INACCESSIBLE, source, actor=Actor(user=user), confidence="confirmed")

    panjshir.refresh_from_db()
    assert panjshir.access_status == AccessStatus.INACCESSIBLE
    assert panjshir.current_status_change == recorded
    assert (recorded.from_status, recorded.to_status) == ("", AccessStatus.INACCESSIBLE)
    assert recorded.source == source and recorded.confidence == "confirmed" and recorded.recorded_by == user
    assert panjshir.history.first().history_change_reason == "Fighting on the road"


def test_change_to_same_status_records_nothing(tree, source):
    panjshir = tree["AF08"]
    change(panjshir, AccessStatus.CONSTRAINED, source)
    assert change(panjshir, AccessStatus.CONSTRAINED, source) is None
    assert StatusChange.objects.filter(region=panjshir).count() == 1


def test_first_explicit_unknown_is_recorded_because_no_record_is_not_unknown(tree, source):
    recorded = change(tree["AF08"], AccessStatus.UNKNOWN, source)
    assert (recorded.from_status, recorded.to_status) == ("", AccessStatus.UNKNOWN)
    assert change(tree["AF08"], AccessStatus.UNKNOWN, source) is None
    assert StatusChange.objects.count() == 1


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("status", {"status": "closed"}),
        ("confidence", {"confidence": "certain"}),
        ("reason", {"reason": "   "}),
        ("source", {"source": None}),
        ("effective_at", {"effective_at": timezone.now() + timedelta(days=1)}),
    ],
)
def test_bad_input_is_refused_with_a_field_message_and_changes_nothing(tree, source, field, overrides):
    arguments = {"status": AccessStatus.CONSTRAINED, "source": source} | overrides
    with pytest.raises(ValidationError) as error:
        change(tree["AF08"], **arguments)
    assert field in error.value.message_dict
    tree["AF08"].refresh_from_db()
    assert tree["AF08"].access_status == ""
    assert not StatusChange.objects.exists()


def test_a_back_dated_change_enters_history_but_does_not_override_a_later_one(tree, source):
    panjshir = tree["AF08"]
    now = timezone.now()
    change(panjshir, AccessStatus.INACCESSIBLE, source, effective_at=now - timedelta(hours=1))
    late_report = change(panjshir, AccessStatus.CONSTRAINED, source, effective_at=now - timedelta(days=2))

    panjshir.refresh_from_db()
    assert panjshir.access_status == AccessStatus.INACCESSIBLE
    assert late_report.from_status == ""
    as_of = annotate_status_as_of(Region.objects.filter(pk=panjshir.pk), now - timedelta(days=1)).get()
    assert as_of.status_as_of == AccessStatus.CONSTRAINED


def test_status_changes_are_append_only(tree, source):
    recorded = change(tree["AF08"], AccessStatus.CONSTRAINED, source)
    recorded.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        recorded.save()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_are_serialised_by_the_row_lock():
    """Two connections change one region at once: the second waits for the first, sees its change,
    and records a consistent from-status; the current status is the last one recorded."""
    require_postgresql()
    region = make_tree()["AF08"]
    source = SourceFactory()
    first_has_lock = threading.Event()
    release_first = threading.Event()
    results = {}

    def first():
        from django.db import transaction

        try:
            with transaction.atomic():
                results["first"] = change(region, AccessStatus.CONSTRAINED, source)
                first_has_lock.set()
                release_first.wait(10)  # hold the row lock while the second tries
        finally:
            connections.close_all()

    def second():
        first_has_lock.wait(10)
        try:
            results["second"] = change(region, AccessStatus.INACCESSIBLE, source)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_has_lock.wait(10)
    # The second is blocked on the lock: nothing of it is visible yet.
    threads[1].join(timeout=1)
    assert threads[1].is_alive(), "the second change should wait for the first one's row lock"
    release_first.set()
    for thread in threads:
        thread.join(10)

    history = list(StatusChange.objects.filter(region=region).order_by("id"))
    assert [(c.from_status, c.to_status) for c in history] == [
        ("", AccessStatus.CONSTRAINED),
        (AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE),
    ]
    region.refresh_from_db()
    assert region.access_status == AccessStatus.INACCESSIBLE
    assert connection.vendor == "postgresql"


def test_the_ordered_scale_keeps_unknown_outside():
    assert AccessStatus.is_worsening(AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE)
    assert not AccessStatus.is_worsening(AccessStatus.INACCESSIBLE, AccessStatus.ACCESSIBLE)
    assert not AccessStatus.is_worsening(AccessStatus.UNKNOWN, AccessStatus.INACCESSIBLE)
    assert AccessStatus.rank(AccessStatus.UNKNOWN) is None
