"""needs_rollup against a plain reference implementation of the rules, on random region trees and figures.

The reference below is written from the rules as stated (docs/api.md, needs/selectors.py's docstring)
over an in-memory tree {p-code: [child p-codes]}, with none of the selector's machinery.
"""

from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needs.models import NeedFigure
from needs.selectors import METRICS, needs_rollup
from tests.factories import SourceFactory, make_region

pytestmark = pytest.mark.django_db

SECTORS = ["FSC", "HEA", "WSH"]  # in the order of needs.sectors.SECTOR_CHOICES: ties go to the first
INTERSECTORAL = "Intersectoral"
ROOT = "QQ"
MAX_LEVEL = 2  # country, province, district: depth ≤ 3


# --- the reference ----------------------------------------------------------------------------------
def children_part(tree, pcode, figure_of):
    """(children_sum or None, coverage) from the children's figures."""
    children = tree[pcode]
    parts = [f for f in (figure_of(child) for child in children) if f is not None]
    coverage = {"with_figure": len(parts), "children": len(children)}
    if not parts:
        return None, coverage
    return {
        "value": sum(p["value"] for p in parts),
        "coverage": coverage,
        "lower_bound": len(parts) < len(children) or any(p["lower_bound"] for p in parts),
        "regions": sorted(r for p in parts for r in p["regions"]),
    }, coverage


def reported(value, pcode, summed, coverage):
    differs = summed is not None and summed["value"] != value
    return {"value": value, "rule": "reported", "lower_bound": False, "coverage": coverage,
            "regions": [pcode], "children_sum": summed if differs else None, "sector": None}  # fmt: skip


def ref_sector(tree, figures, pcode, sector, metric):
    summed, coverage = children_part(tree, pcode, lambda child: ref_sector(tree, figures, child, sector, metric))
    own = figures.get((pcode, sector, metric))
    if own is not None:
        return reported(own, pcode, summed, coverage)
    if summed is not None:
        return {"value": summed["value"], "rule": "sum_of_children", "lower_bound": summed["lower_bound"],
                "coverage": coverage, "regions": summed["regions"], "children_sum": None, "sector": None}  # fmt: skip
    return None


def ref_intersectoral(tree, figures, pcode, metric):
    summed, coverage = children_part(tree, pcode, lambda child: ref_intersectoral(tree, figures, child, metric))
    own = figures.get((pcode, INTERSECTORAL, metric))
    if own is not None:
        return reported(own, pcode, summed, coverage)
    best_sector, best = None, None
    for sector in SECTORS:
        figure = ref_sector(tree, figures, pcode, sector, metric)
        if figure is not None and (best is None or figure["value"] > best["value"]):
            best_sector, best = sector, figure
    if summed is not None and (best is None or summed["value"] > best["value"]):
        return {"value": summed["value"], "rule": "sum_of_children", "lower_bound": True, "coverage": coverage,
                "regions": summed["regions"], "children_sum": None, "sector": None}  # fmt: skip
    if best is not None:
        beside = summed if summed is not None and summed["value"] != best["value"] else None
        return {"value": best["value"], "rule": "max_over_sectors", "lower_bound": True, "coverage": coverage,
                "regions": best["regions"], "children_sum": beside, "sector": best_sector}  # fmt: skip
    return None


# --- random trees and figures ---------------------------------------------------------------------
@st.composite
def trees_and_figures(draw):
    tree = {ROOT: []}
    levels = {ROOT: 0}
    frontier = [ROOT]
    while frontier:
        pcode = frontier.pop()
        if levels[pcode] < MAX_LEVEL:
            for number in range(1, draw(st.integers(0, 3)) + 1):
                child = f"{pcode}{number}"
                tree[pcode].append(child)
                tree[child] = []
                levels[child] = levels[pcode] + 1
                frontier.append(child)
    counts = st.one_of(st.none(), st.integers(0, 1_000))
    figures = {}
    for pcode in tree:
        for sector in [*SECTORS, INTERSECTORAL]:
            if draw(st.integers(0, 2)) == 0:  # about a third of the regions report in a sector
                figures[(pcode, sector)] = {metric: draw(counts) for metric in METRICS}
    return tree, levels, figures


def as_dict(figure):
    if figure is None:
        return None
    children_sum = figure.children_sum
    return {
        "value": figure.value,
        "rule": figure.rule,
        "lower_bound": figure.lower_bound,
        "coverage": {"with_figure": figure.coverage.with_figure, "children": figure.coverage.children},
        "regions": sorted(figure.regions),
        "children_sum": None
        if children_sum is None
        else {
            "value": children_sum.value,
            "coverage": {"with_figure": children_sum.coverage.with_figure, "children": children_sum.coverage.children},
            "lower_bound": children_sum.lower_bound,
            "regions": sorted(children_sum.regions),
        },
        "sector": figure.sector,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=trees_and_figures())
def test_rollup_follows_the_reference_rules_on_random_trees(db, data):
    tree, levels, figures = data
    with transaction.atomic():
        regions = {}
        for pcode in sorted(tree, key=len):  # parents first
            parent = regions.get(pcode[:-1]) if pcode != ROOT else None
            regions[pcode] = make_region(pcode, parent=parent, level=levels[pcode])
        source = SourceFactory()
        NeedFigure.objects.bulk_create(
            NeedFigure(
                region=regions[pcode],
                sector=sector,
                period_start=date(2021, 1, 1),
                period_end=date(2021, 12, 31),
                source=source,
                confidence="confirmed",
                **counts,
            )  # fmt: skip
            for (pcode, sector), counts in figures.items()
        )
        flat = {(pcode, sector, metric): value for (pcode, sector), counts in figures.items()
                for metric, value in counts.items() if value is not None}  # fmt: skip

        for area in tree:  # every region as the area asked for: each level of the recursion is checked
            rollup = needs_rollup(pcode=area)
            listed = {s.sector for s in rollup.sectors}
            assert listed == {
                sector for (pcode, sector) in figures if sector != INTERSECTORAL and pcode.startswith(area)
            }
            for sector_rollup in rollup.sectors:
                for metric in METRICS:
                    expected = ref_sector(tree, flat, area, sector_rollup.sector, metric)
                    assert as_dict(sector_rollup.metrics[metric]) == expected, (area, sector_rollup.sector, metric)
            for metric in METRICS:
                expected = ref_intersectoral(tree, flat, area, metric)
                assert as_dict(rollup.intersectoral[metric]) == expected, (area, INTERSECTORAL, metric)
        transaction.set_rollback(True)  # the next example starts from an empty database
