"""The needs reads run as many queries over a long archive as over a short one (issue 17 §1): a page
filtered by `within` and `sector`, an incremental sync and the roll-up summary. Their time at three
sizes is `make bench`'s (bench/growth.py); here, that nothing is read per figure or per period."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from needs.models import NeedFigure

pytestmark = pytest.mark.django_db

SECTORS = ["FSC", "HEA", "WSH"]
WRITTEN = datetime(2020, 1, 1, tzinfo=UTC)


def add_periods(tree, source, first: int, last: int) -> None:
    """Weekly figures for periods first..last-1 in every region and sector, written long ago."""
    NeedFigure.objects.bulk_create(
        NeedFigure(
            region=region, sector=sector, people_in_need=1000 + week, targeted=500, reached=None if week % 2 else 100,
            period_start=date(2020, 1, 6) + timedelta(weeks=week), period_end=date(2020, 1, 12) + timedelta(weeks=week),
            source=source, confidence="reported",
        )
        for week in range(first, last) for region in tree.values() for sector in SECTORS
    )  # fmt: skip
    NeedFigure.objects.update(updated_at=WRITTEN)
    NeedFigure.objects.filter(pk__in=NeedFigure.objects.order_by("id").values("pk")[:3]).update(
        updated_at=timezone.now()
    )


def queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


@pytest.mark.parametrize(
    "url, params",
    [
        ("/api/v1/needs/", {"within": "AF08", "sector": "FSC", "page_size": 5}),
        ("/api/v1/needs/", {"updated_since": "<a minute ago>"}),
        ("/api/v1/needs/summary/", {"within": "AF"}),
        ("/api/v1/needs/summary/", {"within": "AF08", "sector": "HEA", "period_end": "2020-06-30"}),
    ],
)
def test_needs_reads_run_as_many_queries_over_a_long_archive_as_over_a_short_one(reader, tree, source, url, params):
    if params.get("updated_since"):
        params = {"updated_since": (timezone.now() - timedelta(minutes=1)).isoformat()}
    reader.get("/api/v1/sources/")  # the token's last-use stamp is written once a minute; not counted below
    add_periods(tree, source, 0, 3)
    short = queries(reader, url, params)
    add_periods(tree, source, 3, 40)
    assert queries(reader, url, params) == short
