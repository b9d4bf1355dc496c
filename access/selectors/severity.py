"""A region's access severity for a month, from its evidence (issue 16 §2), on ACAPS's scale.

ACAPS (Humanitarian Access methodology note, 2020/2021; acaps.org/methodology/access) scores nine
indicators 0–3, marks an information gap X, groups the indicators in three pillars and ranks the whole
0–5 (no constraints … extreme). humtrack computes the same shape per p-coded region and month from the
facts it holds. The rules, in one place (docs/severity.md has them as one table):

1. Evidence of a region's month: the incidents under way in the month
   (access.selectors.incidents.incidents_in_month) and the restrictions in force at any moment of it
   (started before the month ends, not ended by the time it begins), recorded on the region itself.
2. An indicator's score from that evidence: the worse of the incidents' count and the worst restriction's
   severity, through INCIDENT_COUNT_SCORES and RESTRICTION_SEVERITY_SCORES. No evidence is X (None),
   never 0: 0 is a coordinator's word ("assessed: no constraint"), through an override.
3. Roll-up: a province's (or country's) computed indicator is the worst of its own evidence's score and
   its children's shown scores (a district's override counts as that district's score; X counts for
   nothing). The counts shown (`incidents`, `restrictions`) are the evidence on the region and under it.
4. Override: a SeverityOverride for (region, month, indicator) replaces the computed score (its score
   None: X), shown with its reason and source.
5. A pillar: the mean of its indicators' shown scores, X left out; None when all of them are X.
6. Overall: the mean of the pillars that have a score, mapped to 0–5 by OVERALL_LEVEL_CEILINGS; None when
   all nine indicators are X: 0 only when every known indicator is 0, else the 0–3 mean stretched
   evenly onto 1–5, each pillar counting alike. (ACAPS's published pages give the scale, not a formula
   we could reproduce for a district's month: these thresholds are humtrack's own, documented.)
7. Coverage: the districts under the region (itself, for a district) with at least one indicator that is
   not X, out of its districts.
8. Flag for review: the computed overall against the region's effective status (access.selectors.status)
   at the end of the month (now, for the month under way), by REVIEW_WHEN. Unknown status, no status
   and no information never flag.

Queries: a constant number (the regions with their status, the month's incidents and restrictions
counted by region and category, the overrides), whatever the number of regions.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from django.db.models import Count, Q
from django.utils import timezone

from access.choices import (
    PILLAR_OF_CATEGORY,
    AccessStatus,
    ConstraintCategory,
    ConstraintPillar,
    Severity,
    SeverityLevel,
)
from access.models import AccessRestriction, Region, SeverityOverride
from access.selectors.incidents import incidents_in_month, month_bounds
from access.selectors.status import with_effective_status

# Incidents of one indicator in the month → its score: the first row whose lower bound the count reaches,
# from the top. One incident is a constraint reported (1); a few show a pattern (2); five or more in a
# month in one region is a sustained one (3), ACAPS's "high" for an indicator.
INCIDENT_COUNT_SCORES: tuple[tuple[int, int], ...] = ((5, 3), (2, 2), (1, 1))

# A restriction's severity (access.choices.Severity) → the score of its indicator.
RESTRICTION_SEVERITY_SCORES: Mapping[str, int] = {
    Severity.LOW: 1,
    Severity.MODERATE: 1,
    Severity.HIGH: 2,
    Severity.VERY_HIGH: 3,
    Severity.EXTREME: 3,
}

# The mean pillar score (0–3) → the overall level: the first level whose ceiling the mean does not pass.
# 0 only when every known indicator was assessed 0; above it, the 0–3 mean stretched evenly onto 1–5
# (each level a fifth of the range: 0 < mean ≤ 0.6 is low, … 2.4 < mean ≤ 3 extreme).
OVERALL_LEVEL_CEILINGS: tuple[tuple[Fraction, int], ...] = (
    (Fraction(0), SeverityLevel.NO_CONSTRAINTS),
    (Fraction(3, 5), SeverityLevel.LOW),
    (Fraction(6, 5), SeverityLevel.MODERATE),
    (Fraction(9, 5), SeverityLevel.HIGH),
    (Fraction(12, 5), SeverityLevel.VERY_HIGH),
    (Fraction(3), SeverityLevel.EXTREME),
)

# Effective status → the computed levels that disagree with it strongly enough to ask for a review.
REVIEW_WHEN: Mapping[str, frozenset[int]] = {
    AccessStatus.ACCESSIBLE: frozenset({SeverityLevel.VERY_HIGH, SeverityLevel.EXTREME}),
    AccessStatus.CONSTRAINED: frozenset(),
    AccessStatus.SEVERELY_CONSTRAINED: frozenset({SeverityLevel.NO_CONSTRAINTS}),
    AccessStatus.INACCESSIBLE: frozenset({SeverityLevel.NO_CONSTRAINTS, SeverityLevel.LOW}),
}

INDICATORS: tuple[str, ...] = tuple(ConstraintCategory.values)
PILLARS: tuple[str, ...] = tuple(ConstraintPillar.values)


@dataclass(frozen=True)
class IndicatorScore:
    indicator: str  # ConstraintCategory value
    score: int | None  # 0–3 as shown; None = "no information" (ACAPS's X)
    computed: int | None  # from the evidence, before any override
    override: SeverityOverride | None
    incidents: int  # evidence counted, on the region and under it
    restrictions: int


@dataclass(frozen=True)
class RegionSeverity:
    region: Region
    month: date  # first day
    indicators: dict[str, IndicatorScore]  # all nine, in ConstraintCategory order
    pillars: dict[str, float | None]  # ConstraintPillar → score; None when all its indicators are X
    overall: int | None  # ACAPS 0–5 (SeverityLevel); None = no information at all
    districts_with_information: int  # coverage of the roll-up (for a district: 1 or 0)
    districts: int
    flagged_for_review: bool  # computed level and the coordinator's effective status disagree strongly


def incident_score(count: int) -> int | None:
    """The score a month's incidents of one indicator give (None: none, no evidence)."""
    for lowest, score in INCIDENT_COUNT_SCORES:
        if count >= lowest:
            return score
    return None


def evidence_score(incidents: int, restriction_severities: Iterable[str]) -> int | None:
    """Rule 2: the worse of the incidents' count and the worst restriction; None without evidence."""
    scores = [RESTRICTION_SEVERITY_SCORES[severity] for severity in restriction_severities]
    by_count = incident_score(incidents)
    if by_count is not None:
        scores.append(by_count)
    return max(scores, default=None)


def worst(scores: Iterable[int | None]) -> int | None:
    """The highest score, X (None) counting for nothing; None when all are X."""
    return max((score for score in scores if score is not None), default=None)


def pillar_scores(indicator_scores: Mapping[str, int | None]) -> dict[str, float | None]:
    """Rule 5: each pillar the mean of its indicators that are not X."""
    members: dict[str, list[int]] = {pillar: [] for pillar in PILLARS}
    for indicator, score in indicator_scores.items():
        if score is not None:
            members[PILLAR_OF_CATEGORY[indicator]].append(score)
    return {pillar: (sum(scores) / len(scores) if scores else None) for pillar, scores in members.items()}


def overall_level(indicator_scores: Mapping[str, int | None]) -> int | None:
    """Rule 6: the mean of the pillars with a score, on the 0–5 scale (exact fractions, so that a mean
    on a ceiling is not pushed over it by a float's tail)."""
    members: dict[str, list[int]] = defaultdict(list)
    for indicator, score in indicator_scores.items():
        if score is not None:
            members[PILLAR_OF_CATEGORY[indicator]].append(score)
    if not members:
        return None
    pillars = [Fraction(sum(scores), len(scores)) for scores in members.values()]
    mean = sum(pillars, Fraction(0)) / len(pillars)
    return next(level for ceiling, level in OVERALL_LEVEL_CEILINGS if mean <= ceiling)


def needs_review(overall: int | None, status: str | None) -> bool:
    """Rule 8: unknown or no status, and no information, never flag."""
    if overall is None or status is None:
        return False
    return overall in REVIEW_WHEN.get(status, frozenset())


def first_of_month(month: date) -> date:
    return date(month.year, month.month, 1)


def _status_moment(month: date) -> datetime | None:
    """The moment whose effective status a month's severity is set against: the month's end, or None
    (now, the current records) for the month under way and later."""
    _, end = month_bounds(month)
    return None if end > timezone.now() else end


def severities_for_month(*, month: date, regions: Iterable[Region]) -> dict[int, RegionSeverity]:
    """Each region's severity for the month, by region pk: four queries whatever the number of regions."""
    month = first_of_month(month)
    wanted = list(regions)
    if not wanted:
        return {}
    start, end = month_bounds(month)
    # One prefix per subtree: a region inside another wanted one adds nothing (a country and its 400
    # districts is one condition, not 401). Sorted, a subtree's paths follow its root's.
    under_wanted = Q()
    covered: list[str] = []
    for path in sorted({region.path for region in wanted}):
        if not covered or not path.startswith(covered[-1]):
            covered.append(path)
            under_wanted |= Q(path__startswith=path)
    in_scope = Region.objects.filter(under_wanted)
    tree = list(
        with_effective_status(in_scope, at=_status_moment(month)).only("pk", "path", "parent_id", "admin_level")
    )
    # The evidence is read by sub-query, not a list of ids: a country's tree would be hundreds of parameters.
    ids = in_scope.values("pk")

    incident_counts: dict[tuple[int, str], int] = {}
    for row in (
        incidents_in_month(month)
        .filter(region_id__in=ids)
        .values("region_id", "category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        incident_counts[(row["region_id"], row["category"])] = row["n"]
    restriction_counts: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for row in (
        AccessRestriction.objects.filter(region_id__in=ids, starts_at__lt=end)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start))
        .values("region_id", "category", "severity")
        .annotate(n=Count("id"))
        .order_by()
    ):
        restriction_counts[(row["region_id"], row["category"])][row["severity"]] = row["n"]
    overrides = {
        (override.region_id, override.indicator): override
        for override in SeverityOverride.objects.filter(month=month, region_id__in=ids).select_related("source")
    }

    children: dict[int, list[Region]] = defaultdict(list)
    for region in tree:
        if region.parent_id is not None:
            children[region.parent_id].append(region)
    status_of = {region.pk: region.effective_status for region in tree}

    # Each region's indicators, children before parents (a deeper path first).
    computed: dict[int, dict[str, IndicatorScore]] = {}
    coverage: dict[int, tuple[int, int]] = {}
    for region in sorted(tree, key=lambda r: -r.path.count("/")):
        scores: dict[str, IndicatorScore] = {}
        for indicator in INDICATORS:
            own = evidence_score(
                incident_counts.get((region.pk, indicator), 0), restriction_counts.get((region.pk, indicator), {})
            )
            below = [computed[child.pk][indicator] for child in children[region.pk]]
            result = worst([own, *(child.score for child in below)])
            override = overrides.get((region.pk, indicator))
            scores[indicator] = IndicatorScore(
                indicator=indicator,
                score=override.score if override is not None else result,
                computed=result,
                override=override,
                incidents=incident_counts.get((region.pk, indicator), 0) + sum(child.incidents for child in below),
                restrictions=sum(restriction_counts.get((region.pk, indicator), {}).values())
                + sum(child.restrictions for child in below),
            )
        computed[region.pk] = scores
        # Coverage (rule 7), counted up the tree with the scores: (districts with information, districts).
        if region.admin_level == Region.Level.DISTRICT:
            informed = any(score.score is not None for score in scores.values())
            coverage[region.pk] = (int(informed), 1)
        else:
            below_coverage = [coverage[child.pk] for child in children[region.pk]]
            coverage[region.pk] = (sum(c[0] for c in below_coverage), sum(c[1] for c in below_coverage))

    severities: dict[int, RegionSeverity] = {}
    for wanted_region in wanted:
        indicators = computed[wanted_region.pk]
        shown = {indicator: score.score for indicator, score in indicators.items()}
        overall = overall_level(shown)
        severities[wanted_region.pk] = RegionSeverity(
            region=wanted_region,
            month=month,
            indicators=indicators,
            pillars=pillar_scores(shown),
            overall=overall,
            districts_with_information=coverage[wanted_region.pk][0],
            districts=coverage[wanted_region.pk][1],
            flagged_for_review=needs_review(overall, status_of.get(wanted_region.pk)),
        )
    return severities


def region_severity(*, region: Region, month: date) -> RegionSeverity:
    """One region's severity for the month (see severities_for_month)."""
    return severities_for_month(month=month, regions=[region])[region.pk]
