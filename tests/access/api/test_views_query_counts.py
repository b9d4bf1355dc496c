"""List endpoints run a constant number of queries, whatever the page size."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.choices import AccessStatus, Confidence, CorridorStatus, Utility
from access.services import change_access_status, create_corridor, record_incident, record_outage, record_restriction
from humtrack.actor import SYSTEM
from tests.factories import NeedFigureFactory, make_region

pytestmark = pytest.mark.django_db

WHEN = datetime(2021, 9, 1, tzinfo=UTC)


@pytest.fixture
def many(tree, source):
    districts = [make_region(f"AF08{n:02d}", parent=tree["AF08"]) for n in range(10, 40)]
    for n, district in enumerate(districts):
        change_access_status(
            region=district, status=AccessStatus.CONSTRAINED, reason="r", source=source,
            confidence=Confidence.REPORTED, actor=SYSTEM, effective_at=WHEN,
        )  # fmt: skip
        record_outage(
            actor=SYSTEM, region=district, utility=Utility.INTERNET, started_at=WHEN, source=source,
            confidence=Confidence.CONFIRMED,
        )  # fmt: skip
        record_restriction(
            actor=SYSTEM, affected_groups=["all_aid_workers", "national_staff"], region=district,
            category="hostilities", severity="high", starts_at=WHEN, source=source, confidence=Confidence.REPORTED,
        )  # fmt: skip
        create_corridor(
            actor=SYSTEM, regions=[tree["AF0305"], district], status=CorridorStatus.OPEN, source=source,
            confidence=Confidence.REPORTED, name=f"Route {n}",
        )  # fmt: skip
        NeedFigureFactory(region=district, source=source)
        record_incident(
            actor=SYSTEM, region=district, occurred_at=WHEN, category="hostilities", incident_type="fighting_reported",
            source=source, confidence=Confidence.CLAIMED, affected_groups=["all_aid_workers"],
        )  # fmt: skip
    return districts


# Per request: the token (1), its last-use stamp (≤ 1), then the resource's own queries.
@pytest.mark.parametrize(
    "url, queries",
    [
        ("/api/v1/regions/", 2),  # regions with their effective status and counts; the changes and sources
        ("/api/v1/regions/?as_of=2021-09-02T00:00:00Z", 2),  # the same, with the changes in force then
        ("/api/v1/regions/?status=constrained&status_basis=inherited", 2),
        ("/api/v1/regions/AF0810/status-history/", 2),  # the region, its changes
        ("/api/v1/corridors/", 2),  # + the route
        ("/api/v1/restrictions/", 2),  # + affected groups
        ("/api/v1/outages/", 1),
        ("/api/v1/sources/", 1),
        ("/api/v1/needs/", 1),
        ("/api/v1/needs/?format=csv", 1),
        ("/api/v1/incidents/", 2),  # + affected groups
        ("/api/v1/incidents/?format=geojson&month=2021-09", 2),
    ],
)
def test_list_queries_do_not_grow_with_the_page(reader, many, django_assert_max_num_queries, url, queries):
    separator = "&" if "?" in url else "?"
    reader.get("/api/v1/sources/")  # the token's last-use stamp is written once a minute; not counted below
    for size in (2, 30):
        with django_assert_max_num_queries(1 + queries):
            response = reader.get(f"{url}{separator}page_size={size}")
        assert response.status_code == 200


def add_history(regions, source, changes: int, newest: datetime) -> None:
    """`changes` more status changes in each region, each older than the ones it has (an import of history)."""
    from access.models import StatusChange

    statuses = [AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE]
    oldest = StatusChange.objects.order_by("effective_at").values_list("effective_at", flat=True).first() or newest
    StatusChange.objects.bulk_create(
        StatusChange(
            region=region, from_status=statuses[(n + 1) % 2], to_status=statuses[n % 2], reason="import",
            source=source, confidence=Confidence.REPORTED, effective_at=oldest - timedelta(hours=n + 1),
        )
        for region in regions for n in range(changes)
    )  # fmt: skip


def test_regions_as_of_run_as_many_queries_over_a_long_history_as_over_a_short_one(
    reader, tree, source, django_assert_num_queries
):
    """The change in force then is found per region by index (issue 17 §1), never read out of its history."""
    regions = list(tree.values())
    add_history(regions, source, 3, newest=WHEN)
    url = f"/api/v1/regions/?within=AF08&as_of={(WHEN - timedelta(hours=2)).isoformat().replace('+00:00', 'Z')}"
    reader.get("/api/v1/sources/")  # the token's last-use stamp is written once a minute; not counted below
    with CaptureQueriesContext(connection) as short:
        assert reader.get(url).json()["results"][0]["status"]
    add_history(regions, source, 200, newest=WHEN)
    with django_assert_num_queries(len(short)):
        assert reader.get(url).json()["results"][0]["status"]
