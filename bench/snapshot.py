"""The monthly access snapshot's benchmark (issue 16 §3): a month of 10,000 incidents across all 401
districts of access/fixtures/afg_admin.csv (and, for the comparisons, incidents the month before and the same
month a year before), counted by category, type, region and perpetrator type with their changes
(situation.snapshot.selectors.incident_counts) against the floor: the same counts by one raw SQL GROUP BY
over the three months (conditional sums), rows fetched and nothing more. Target ≤ 3×.

On a database of its own, made with Django's test utilities like bench/api.py's. The smoke test
(tests/bench/test_snapshot.py) runs `snapshot_case` at its smallest size and checks that both give the same
counts, so neither can drift into measuring something else.
"""

import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import cast

from bench.api import compare, result

MONTH = date(2021, 9, 1)
INCIDENTS = 10_000
# The comparisons' months: fewer incidents, as a quieter month would have.
PREVIOUS_MONTH_INCIDENTS = 2_000
PREVIOUS_YEAR_INCIDENTS = 1_000
RUNS = 10
SMOKE_INCIDENTS = 60
TARGET = 3.0
FIXTURES = Path(__file__).resolve().parent.parent / "access" / "fixtures"

# Under way in a month (access.selectors.incidents.incidents_in_month), for each of the three months.
UNDER_WAY = "(i.occurred_at < %s AND (i.occurred_until >= %s OR (i.occurred_until IS NULL AND i.occurred_at >= %s)))"
FLOOR_SQL = f"""
SELECT i.category, i.incident_type, i.perpetrator_type, r.path,
       SUM(CASE WHEN {UNDER_WAY} THEN 1 ELSE 0 END),
       SUM(CASE WHEN {UNDER_WAY} THEN 1 ELSE 0 END),
       SUM(CASE WHEN {UNDER_WAY} THEN 1 ELSE 0 END)
FROM access_incident i
JOIN access_region r ON r.id = i.region_id
WHERE r.path LIKE %s AND ({UNDER_WAY} OR {UNDER_WAY} OR {UNDER_WAY})
GROUP BY i.category, i.incident_type, i.perpetrator_type, r.path
"""


def _bounds(month: date) -> list[datetime]:
    """The parameters of one UNDER_WAY: the month's end, its start, its start."""
    from access.selectors.incidents import month_bounds

    start, end = month_bounds(month)
    return [end, start, start]


def load_regions():
    """All of Afghanistan's regions and the provinces' outlines; the districts."""
    from access.models import Region
    from access.services import import_boundaries, import_regions
    from access.services.boundaries import read_geojson_features
    from access.services.regions import read_admin_csv
    from humtrack.actor import SYSTEM

    import_regions(rows=read_admin_csv(FIXTURES / "afg_admin.csv"), actor=SYSTEM)
    import_boundaries(features=read_geojson_features(FIXTURES / "afg_admin1.geojson"), actor=SYSTEM)
    return list(Region.objects.filter(admin_level=Region.Level.DISTRICT).order_by("path"))


def add_incidents(districts, month: date, count: int, seed: int) -> None:
    """`count` incidents in the month, spread over every district, category, type and perpetrator type; a
    tenth of them spans into the next month, as real ones do, so the next month counts them too. Written
    with bulk_create: the case times the reading, not the recording."""
    from access.choices import INCIDENT_TYPES_BY_CATEGORY, Confidence, PerpetratorType, Sensitivity
    from access.models import Incident, Source
    from access.selectors.incidents import month_bounds
    from tests.factories import SourceFactory

    pick = random.Random(seed)
    source = cast(Source, SourceFactory())  # factory_boy returns the model instance
    start, end = month_bounds(month)
    seconds = int((end - start).total_seconds())
    categories = list(INCIDENT_TYPES_BY_CATEGORY)
    incidents = []
    for number in range(count):
        category = categories[number % len(categories)]
        spans = number % 10 == 0  # begun on the month's last day and running into the next
        if spans:
            occurred_at = end - timedelta(hours=pick.randint(1, 23))
        else:
            occurred_at = start + timedelta(seconds=pick.randrange(seconds))
        incidents.append(
            Incident(
                region=districts[number % len(districts)],
                occurred_at=occurred_at,
                occurred_until=occurred_at + timedelta(days=pick.randint(1, 5)) if spans else None,
                category=category,
                incident_type=pick.choice(INCIDENT_TYPES_BY_CATEGORY[category]),
                perpetrator_type=pick.choice(list(PerpetratorType)),
                sensitivity=pick.choice(list(Sensitivity)),
                source=source,
                confidence=Confidence.REPORTED,
                description=f"Bench incident {number}",
            )
        )
    Incident.objects.bulk_create(incidents, batch_size=2000)


def the_three_months() -> list[date]:
    from situation.snapshot.selectors import previous_month, same_month_a_year_before

    return [MONTH, previous_month(MONTH), same_month_a_year_before(MONTH)]


def floor_counts(within_path: str) -> list[tuple]:
    from django.db import connection

    months = the_three_months()

    parameters = [value for month in months for value in _bounds(month)]
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [*parameters, f"{within_path}%", *parameters])
        return cursor.fetchall()


def totals_of_floor(rows: list[tuple], column: int) -> Counter:
    """Per category, the floor's count in one of its three columns (4: this month, 5, 6)."""
    totals: Counter = Counter()
    for row in rows:
        totals[row[0]] += int(row[column])
    return totals


def snapshot_case(incidents: int = INCIDENTS, runs: int = RUNS) -> dict:
    """Build the month, check that ours and the floor agree, time both in alternation."""
    from access.models import Region
    from situation.snapshot.selectors import CATEGORY, incident_counts

    districts = load_regions()
    scale = incidents / INCIDENTS
    month, previous, a_year_before = the_three_months()
    add_incidents(districts, month, incidents, seed=1)
    add_incidents(districts, previous, max(1, int(PREVIOUS_MONTH_INCIDENTS * scale)), seed=2)
    add_incidents(districts, a_year_before, max(1, int(PREVIOUS_YEAR_INCIDENTS * scale)), seed=3)
    country = Region.objects.get(pcode="AF")

    def ours():
        return incident_counts(month=MONTH, within=country)

    def floor():
        return floor_counts(country.path)

    counted, floored = ours(), floor()
    for column, attribute in ((4, "count"), (5, "previous_month"), (6, "previous_year")):
        expected = totals_of_floor(floored, column)
        got = {row.key: getattr(row, attribute) for row in counted[CATEGORY].rows if getattr(row, attribute)}
        assert got == {key: n for key, n in expected.items() if n}, (attribute, got, expected)
    in_month = sum(row.count for row in counted[CATEGORY].rows)
    assert in_month >= incidents, in_month  # and some of August's that ran into September

    seconds, floor_seconds = compare(ours, floor, runs)
    measured = result(
        f"snapshot: counts of a month of {incidents:,} incidents over {len(districts)} districts, with MoM and YoY "
        "(vs one raw SQL GROUP BY)",
        seconds,
        floor_seconds,
        TARGET,
    )
    measured["incidents_in_month"] = in_month
    return measured


def run() -> list[dict]:
    from bench.database import own_database

    with own_database():
        from django.core.cache import cache

        cache.clear()
        return [snapshot_case()]


if __name__ == "__main__":
    for line in run():
        print(line)
