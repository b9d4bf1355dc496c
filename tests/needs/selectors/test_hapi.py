"""needs.selectors.hapi: one query for every row, and only the statuses asked."""

import pytest

from needs.models import NeedFigure
from needs.selectors.hapi import hapi_needs_rows
from tests.factories import NeedFigureFactory

pytestmark = pytest.mark.django_db


def test_every_row_with_its_admin_hierarchy_in_one_query(tree, django_assert_num_queries):
    NeedFigureFactory(region=tree["AF"], people_in_need=100, targeted=50, reached=10)
    NeedFigureFactory(region=tree["AF08"], sector="HEA", targeted=7)
    NeedFigureFactory(region=tree["AF0806"], sector="NUT", people_in_need=3, reached=2)
    with django_assert_num_queries(1):
        rows = list(hapi_needs_rows(NeedFigure.objects.all()))
    assert [
        (row["location_pcode"], row["admin1_name"], row["admin2_name"], row["population_status"], row["population"])
        for row in rows
    ] == [
        ("AF", None, None, "INN", 100),
        ("AF", None, None, "TGT", 50),
        ("AF", None, None, "REA", 10),
        ("AF", "Panjsher", None, "TGT", 7),
        ("AF", "Panjsher", "Shutul", "INN", 3),
        ("AF", "Panjsher", "Shutul", "REA", 2),
    ]


def test_only_the_statuses_asked(tree):
    NeedFigureFactory(region=tree["AF"], people_in_need=100, targeted=50, reached=10)
    figures = NeedFigure.objects.all()
    assert [row["population"] for row in hapi_needs_rows(figures, population_statuses=["REA", "INN"])] == [100, 10]
    assert list(hapi_needs_rows(figures, population_statuses=[])) == []
