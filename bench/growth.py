"""Growth benchmarks (issue 17 §1): the cost of a request grows with its answer, not with the archive.

Each case answers the same question at three sizes of the data (×1, ×10, ×100 of its base) and is
timed at each; a row's ratio is its time over the smallest size's time (the floor column), against a
target of ≤ 1.3× where the answer is the same size at every size:

- a page of 500 need figures, `within=AF&sector=FSC` (every district's food security figures), from
  10,000 / 100,000 / 1,000,000 figures;
- `regions/?within=AF08&as_of=…` (a province and its districts, the statuses in force at a past moment,
  in the middle of the smallest history) over 10,000 / 100,000 / 1,000,000 status changes;
- `needs/summary/?within=AF` (401 districts × 12 sectors × 1 / 10 / 40 periods): the roll-up takes the
  latest period's figure, so its answer is the same size whatever the number of periods;
- the situation page for the whole country (34 province outlines, 401 districts), server time and bytes sent,
  over the same status changes as the regions case;
- an incremental sync: a partner that has everything asks `needs/?updated_since=<a minute ago>` (ten
  figures changed since) with 10,000 / 100,000 / 1,000,000 figures in the table.

Everything goes through the real stack (a partner's token for the API, a logged-in reader for the page)
on a database of its own, made with Django's test utilities like bench/api.py's. The data is written
with one INSERT … SELECT per batch (a cross join of the regions with the sectors and periods, or with
the changes), fast on SQLite and PostgreSQL alike; the status history grows into the past, as an import
of older records would, so the moment `as_of` asks about keeps its answer. The status changes' density is
the issue's: a million over the provinces and districts in a year.

Every timing starts with an empty cache: DRF's throttle keeps the token's requests of the last minute
as one list it reads and writes on each request, so a size timed later would otherwise pay for the
requests timed before it.

`make bench` runs the issue's sizes. `python -m bench.growth --scale 0.1` multiplies every base size (a
shorter run), `--runs N` sets how many timings each size takes its best of (5, and more until they add
up to TIMED_SECONDS: the best of five timings of a 2 ms request moved by a quarter between sizes whose
answers were alike); it prints the rows and writes nothing. The smoke test (tests/bench/test_growth.py)
runs every case at its smallest size.
"""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from bench.api import best_seconds, result
from bench.memory import peak_rss_mb

FACTORS = (1, 10, 100)
STATUS_CHANGES = 10_000  # ×1; a million at ×100
FIGURES = 10_000  # ×1; a million at ×100
SUMMARY_PERIODS = (1, 10, 40)  # the needs summary's three sizes: periods of 401 districts × 12 sectors
PAGE = 500
RECENT_FIGURES = 10  # what changed in the last minute, for the incremental sync
TARGET = 1.3
SECTORS = ["FSC", "HEA", "WSH", "NUT", "PRO", "EDU", "SHL", "LOG", "CCM", "ERY", "TEL", "PRO-CPN"]
STATUSES = ["accessible", "constrained", "severely_constrained", "inaccessible"]
# A million changes over the 435 provinces and districts in a year: one every ~3.8 hours in each.
HISTORY_STEP = timedelta(days=365) * 435 / (STATUS_CHANGES * FACTORS[-1])
PROVINCE = "AF08"
COUNTRY = "AF"
RUNS = 5  # timings per size, the best counted …
TIMED_SECONDS = 1.0  # … and more until they add up to this: five of a 2 ms request are too few (bench.api)
INSERT_BATCH = 50  # periods or changes per INSERT … SELECT (three parameters each, under SQLite's limit)


def timed(action, runs: int) -> float:
    """A case's time at one size: its best of at least `runs` timings and of TIMED_SECONDS, each on an empty
    cache (the module docstring)."""
    from django.core.cache import cache

    return best_seconds(action, runs, before=cache.clear, at_least_seconds=TIMED_SECONDS)


def growth_row(case: str, size: str, seconds: float, smallest: float, target: float | None = TARGET) -> dict:
    """One size's row: its time against the smallest size's (the floor); no target where the answer grows."""
    row = result(case, seconds, smallest, target or 0)
    if target is None:
        row.update(target="–", max_ratio=None)
    row.update(size=size, peak_rss_mb=peak_rss_mb())
    return row


def _union(rows: list[tuple], names: tuple[str, ...]) -> tuple[str, list]:
    """A portable inline table: `SELECT %s AS a, %s AS b UNION ALL SELECT %s, %s …` and its parameters,
    dates and date-times as the database keeps them (SQLite: UTC text), as the ORM would pass them."""
    from django.db import connection

    def adapted(value):
        if isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return connection.ops.adapt_datefield_value(value)
        return value

    first = "SELECT " + ", ".join(f"%s AS {name}" for name in names)
    rest = " UNION ALL SELECT " + ", ".join(["%s"] * len(names))
    return first + rest * (len(rows) - 1), [adapted(value) for row in rows for value in row]


def analyze(tables: list[str]) -> None:
    """Fresh planner statistics after a bulk write, as autovacuum's analyze would give a real database
    within minutes: the case measures the plans a settled table gets, not those of stale estimates."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


class Archive:
    """The bench's data: the regions, a source, and the status history and need figures it grows."""

    def __init__(self, now: datetime):
        from bench.snapshot import load_regions
        from tests.factories import SourceFactory

        self.districts = load_regions()
        self.source = SourceFactory()
        self.now = now
        self.changes_per_region = 0
        self.periods = 0

    # The status history, newest first: change j of every region took effect j steps before `newest`.
    @property
    def newest_change(self) -> datetime:
        return self.now - timedelta(hours=1)

    def change_at(self, number: float) -> datetime:
        return self.newest_change - HISTORY_STEP * number

    def grow_history(self, changes_per_region: int) -> int:
        """Add older changes to every province and district until each has `changes_per_region`; the count."""
        from django.db import connection

        from access.models import Region, StatusChange

        numbers = list(range(self.changes_per_region, changes_per_region))
        with connection.cursor() as cursor:
            for start in range(0, len(numbers), INSERT_BATCH):
                rows = [
                    # Every tenth confirmed: the regions stay fresh (access.selectors.regions.stale_regions).
                    (
                        STATUSES[(j + 1) % 4],
                        STATUSES[j % 4],
                        "confirmed" if j % 10 == 0 else "reported",
                        self.change_at(j),
                    )
                    for j in numbers[start : start + INSERT_BATCH]
                ]
                changes, parameters = _union(rows, ("from_status", "to_status", "confidence", "effective_at"))
                cursor.execute(
                    "INSERT INTO access_statuschange (region_id, from_status, to_status, reason, source_id, "
                    "confidence, effective_at, recorded_at, silent) "
                    f"SELECT r.id, c.from_status, c.to_status, 'Bench change', %s, c.confidence, c.effective_at, "
                    f"c.effective_at, %s FROM access_region r CROSS JOIN ({changes}) c WHERE r.admin_level > 0",
                    [self.source.pk, False, *parameters],
                )
            # Change 0 is every region's current one (the service's copy on the region; new changes are older).
            cursor.execute(
                "UPDATE access_region SET current_status_change_id = (SELECT s.id FROM access_statuschange s "
                "WHERE s.region_id = access_region.id ORDER BY s.effective_at DESC, s.id DESC LIMIT 1), "
                "access_status = %s WHERE admin_level > 0",
                [STATUSES[0]],
            )
        self.changes_per_region = max(self.changes_per_region, changes_per_region)
        Region.objects.update(updated_at=self.now - timedelta(days=400))
        analyze(["access_statuschange", "access_region"])
        return StatusChange.objects.count()

    # Need figures: every district × SECTORS × period k (weekly from 2000), written at 2020 + k seconds.
    def grow_figures(self, periods: int) -> int:
        from django.db import connection

        from needs.models import NeedFigure

        numbers = list(range(self.periods, periods))
        written = datetime(2020, 1, 1, tzinfo=UTC)
        sectors, sector_parameters = _union([(code,) for code in SECTORS], ("code",))
        with connection.cursor() as cursor:
            for start in range(0, len(numbers), INSERT_BATCH):
                rows = [
                    (
                        date(2000, 1, 3) + timedelta(weeks=k),
                        date(2000, 1, 9) + timedelta(weeks=k),
                        written + timedelta(seconds=k),
                    )
                    for k in numbers[start : start + INSERT_BATCH]
                ]
                periods_table, parameters = _union(rows, ("period_start", "period_end", "moment"))
                cursor.execute(
                    "INSERT INTO needs_needfigure (region_id, sector, people_in_need, targeted, reached, "
                    "period_start, period_end, is_urgent, notes, source_id, confidence, created_at, updated_at) "
                    "SELECT r.id, s.code, 1000, 500, 100, p.period_start, p.period_end, %s, '', %s, 'reported', "
                    f"p.moment, p.moment FROM access_region r CROSS JOIN ({sectors}) s CROSS JOIN ({periods_table}) p "
                    "WHERE r.admin_level = 2",
                    [False, self.source.pk, *sector_parameters, *parameters],
                )
        self.periods = max(self.periods, periods)
        analyze(["needs_needfigure"])
        return NeedFigure.objects.count()

    def touch_recent_figures(self) -> None:
        """RECENT_FIGURES figures changed just now: what a partner that has everything else gets."""
        from needs.models import NeedFigure

        recent = NeedFigure.objects.order_by("id").values_list("id", flat=True)[:RECENT_FIGURES]
        NeedFigure.objects.filter(id__in=list(recent)).update(updated_at=timezone.now())


def _partner_client():
    from rest_framework.test import APIClient

    from humtrack.actor import SYSTEM
    from humtrack.tokens import issue_api_token

    _, key, _ = issue_api_token(organisation_name="Bench Partner", scopes=["read"], actor=SYSTEM)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _reader_client():
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="bench-reader"))
    return client


def _ok(response):
    """A timed request's answer, checked for what costs nothing to check: an error page is fast too."""
    assert response.status_code == 200, response.status_code
    return response


def _get(client, url: str, params: dict, expect_results: int | None = None):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    if expect_results is not None:
        got = len(response.json()["results"])
        assert got == expect_results, (url, params, got, expect_results)
    return response


def history_cases(archive: Archive, factors, scale: float, runs: int) -> list[dict]:
    """regions/?as_of for a province and the whole country's situation page, as the status history grows."""
    from django.urls import reverse

    from access.models import Region

    partner, reader = _partner_client(), _reader_client()
    regions = Region.objects.filter(admin_level__gt=0).count()
    per_region = [max(2, round(STATUS_CHANGES * factor * scale / regions)) for factor in factors]
    # In the middle of the smallest history: older and newer changes around it at every size.
    as_of = archive.change_at((per_region[0] - 1) / 2 + 0.25).isoformat().replace("+00:00", "Z")
    province = Region.objects.filter(path__startswith=f"{COUNTRY}/{PROVINCE}/").count()
    regions_params = {"within": PROVINCE, "as_of": as_of, "page_size": PAGE}
    page = reverse("situation:page")
    rows, smallest = [], {}
    for changes_per_region in per_region:
        total = archive.grow_history(changes_per_region)
        size = f"{total:,} status changes"
        answer = _get(partner, "/api/v1/regions/", regions_params, expect_results=province).json()["results"]
        assert all(region["status"] for region in answer), answer[:2]
        seconds = timed(lambda: _ok(partner.get("/api/v1/regions/", regions_params)), runs)
        case = f"growth: regions/?within={PROVINCE}&as_of=… (a province, {province} regions)"
        smallest.setdefault(case, seconds)
        rows.append(growth_row(case, size, seconds, smallest[case]))

        sent = len(_get(reader, page, {}).content)
        seconds = timed(lambda: _ok(reader.get(page)), runs)
        case = f"growth: situation page, whole country ({len(archive.districts)} districts)"
        smallest.setdefault(case, seconds)
        rows.append(growth_row(case, size, seconds, smallest[case]))
        rows[-1]["bytes_sent"] = sent
    return rows


def figure_cases(archive: Archive, factors, scale: float, runs: int) -> list[dict]:
    """The needs page by within and sector, the incremental sync and the country's summary, as figures grow.

    The table only grows: each size is reached by adding periods, the summary's sizes and the others'
    taken in order of their number of rows."""
    per_period = len(archive.districts) * len(SECTORS)
    steps = [("summary", max(1, round(periods * scale)), index) for index, periods in enumerate(SUMMARY_PERIODS)]
    steps += [
        ("figures", max(1, round(FIGURES * factor * scale / per_period)), index) for index, factor in enumerate(factors)
    ]
    steps = [step for step in steps if step[2] < len(factors)]
    # The page holds PAGE figures, or as many as the smallest size has (the smoke test's tiny sizes).
    smallest_periods = min(periods for kind, periods, _ in steps if kind == "figures")
    page_size = min(PAGE, len(archive.districts) * smallest_periods)
    partner = _partner_client()
    rows, smallest = [], {}

    def measured(case: str, size: str, seconds: float) -> dict:
        smallest.setdefault(case, seconds)
        return growth_row(case, size, seconds, smallest[case])

    for kind, periods, _ in sorted(steps, key=lambda step: (step[1], step[0])):
        total = archive.grow_figures(periods)
        if kind == "summary":
            params = {"within": COUNTRY}
            answer = _get(partner, "/api/v1/needs/summary/", params).json()
            assert len(answer["sectors"]) == len(SECTORS), answer["sectors"][:1]
            seconds = timed(lambda params=params: _ok(partner.get("/api/v1/needs/summary/", params)), runs)
            case = (
                f"growth: needs/summary/?within={COUNTRY} ({len(archive.districts)} districts × {len(SECTORS)} sectors)"
            )
            rows.append(measured(case, f"{periods} periods, {total:,} figures", seconds))
            continue
        params = {"within": COUNTRY, "sector": SECTORS[0], "page_size": page_size}
        _get(partner, "/api/v1/needs/", params, expect_results=page_size)
        seconds = timed(lambda params=params: _ok(partner.get("/api/v1/needs/", params)), runs)
        case = f"growth: a page of {page_size} need figures, needs/?within={COUNTRY}&sector={SECTORS[0]}"
        rows.append(measured(case, f"{total:,} figures", seconds))

        archive.touch_recent_figures()

        def sync():
            since = (timezone.now() - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
            return _ok(partner.get("/api/v1/needs/", {"updated_since": since, "page_size": PAGE}))

        assert len(sync().json()["results"]) == RECENT_FIGURES
        seconds = timed(sync, runs)
        case = f"growth: incremental sync, needs/?updated_since=<a minute ago> ({RECENT_FIGURES} changed)"
        rows.append(measured(case, f"{total:,} figures", seconds))
    return rows


def growth_cases(factors=FACTORS, scale: float = 1.0, runs: int = RUNS) -> list[dict]:
    """Every case at every size (`factors` of its base, times `scale`), on the current database."""
    from django.core.cache import cache

    cache.clear()
    archive = Archive(now=timezone.now())
    return history_cases(archive, factors, scale, runs) + figure_cases(archive, factors, scale, runs)


def ordered(rows: list[dict]) -> list[dict]:
    """Each case's sizes together (smallest first), cases in the order they were first measured."""
    cases = list(dict.fromkeys(row["case"] for row in rows))
    return sorted(rows, key=lambda row: cases.index(row["case"]))


def run(scale: float = 1.0, runs: int = RUNS) -> list[dict]:
    from bench.database import own_database

    with own_database():
        return ordered(growth_cases(scale=scale, runs=runs))


if __name__ == "__main__":
    import argparse

    from bench.report import table

    parser = argparse.ArgumentParser(description="The growth cases alone; prints their rows, writes nothing.")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every base size (default 1)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timings per size, the best counted ({RUNS})")
    arguments = parser.parse_args()
    print(table(run(scale=arguments.scale, runs=arguments.runs)))
