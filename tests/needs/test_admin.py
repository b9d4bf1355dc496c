"""Need figures in the coordinators' admin: scoped to a coordinator's regions, validated as the API is."""

import pytest
from django.urls import reverse

from needs.models import NeedFigure
from tests.factories import NeedFigureFactory, make_coordinator

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(tree):
    return make_coordinator(tree["AF08"])


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def figure_post(region, source, **overrides):
    return {
        "region": region.pk,
        "sector": "FSC",
        "people_in_need": "120000",
        "targeted": "",
        "reached": "",
        "period_start": "2021-09-01",
        "period_end": "2021-12-31",
        "notes": "",
        "source": source.pk,
        "confidence": "reported",
    } | overrides


def test_need_figure_list_and_filters_render_for_a_coordinator(coordinator_client, tree, source):
    NeedFigureFactory(region=tree["AF08"], people_in_need=100, source=source)
    NeedFigureFactory(region=tree["AF03"], sector="HEA", people_in_need=5, source=source)
    url = reverse("admin:needs_needfigure_changelist")
    response = coordinator_client.get(url, {"sector": "FSC", "province": "AF08", "q": "Panjsher"})
    assert response.status_code == 200
    assert [figure.region.pcode for figure in response.context["cl"].result_list] == ["AF08"]


def test_a_coordinator_records_a_figure_without_a_number_when_the_source_gives_none(
    coordinator_client, coordinator, tree, source
):
    data = figure_post(tree["AF0801"], source, people_in_need="", is_urgent="on")
    response = coordinator_client.post(reverse("admin:needs_needfigure_add"), data)
    assert response.status_code == 302
    figure = NeedFigure.objects.get()
    assert figure.people_in_need is None and figure.is_urgent
    assert figure.history.get().history_user == coordinator


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"people_in_need": "-5"}, "people_in_need"),
        ({"reached": "-1"}, "reached"),
        ({"period_end": "2021-08-01"}, "period_end"),
    ],
)
def test_negative_counts_and_a_period_ending_before_it_starts_are_form_errors(
    coordinator_client, tree, source, overrides, field
):
    response = coordinator_client.post(
        reverse("admin:needs_needfigure_add"), figure_post(tree["AF08"], source, **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not NeedFigure.objects.exists()


def test_a_figure_for_another_region_is_a_form_error(coordinator_client, tree, source):
    response = coordinator_client.post(reverse("admin:needs_needfigure_add"), figure_post(tree["AF03"], source))
    assert response.status_code == 200 and "region" in response.context["adminform"].form.errors
    assert not NeedFigure.objects.exists()


def test_another_regions_figure_is_read_only_and_a_crafted_post_is_refused(coordinator_client, tree, source):
    figure = NeedFigureFactory(region=tree["AF03"], people_in_need=5, source=source)
    url = reverse("admin:needs_needfigure_change", args=[figure.pk])
    page = coordinator_client.get(url)
    assert page.status_code == 200 and 'name="people_in_need"' not in page.content.decode()
    response = coordinator_client.post(url, figure_post(tree["AF03"], source, people_in_need="6"))
    assert response.status_code == 403
    figure.refresh_from_db()
    assert figure.people_in_need == 5


def test_a_duplicate_figure_for_the_same_region_sector_and_period_is_a_form_error(coordinator_client, tree, source):
    NeedFigureFactory(region=tree["AF08"], period_start="2021-09-01", period_end="2021-12-31", source=source)
    response = coordinator_client.post(reverse("admin:needs_needfigure_add"), figure_post(tree["AF08"], source))
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert NeedFigure.objects.count() == 1
