"""`load_demo`: the Panjshir scenario, with sources, loaded once however often it runs."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from access.models import AccessRestriction, AidCorridor, Region, Source, StatusChange, UtilityOutage
from needs.models import NeedFigure
from needs.selectors import needs_rollup

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Region, Source, StatusChange, AccessRestriction, UtilityOutage, AidCorridor, NeedFigure)
    } | {"history": Region.history.count()}


def test_load_demo_loads_the_scenario_and_running_it_twice_changes_nothing(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "username: coordinator" in out and "password: " in out
    first = counts()
    call_command("load_demo")
    assert counts() == first

    assert Region.objects.filter(admin_level=1).count() == 34
    panjshir = Region.objects.get(pcode="AF08")
    assert panjshir.access_status == "unknown"  # 1 Sep: the UN has no precise information
    current = panjshir.current_status_change
    assert current.source.kind == "un_statement" and current.confidence == "confirmed"
    assert "no precise information" in current.reason
    assert [c.to_status for c in panjshir.status_changes.order_by("effective_at")] == [
        "severely_constrained",
        "unknown",
    ]
    assert set(UtilityOutage.objects.filter(region=panjshir, restored_at=None).values_list("utility", flat=True)) == {
        "electricity",
        "internet",
    }
    movement = AccessRestriction.objects.get(region=panjshir, category="movement_restrictions")
    assert {"all_aid_workers", "women_aid_workers"} <= {g.code for g in movement.affected_groups.all()}
    claims = AccessRestriction.objects.filter(confidence="claimed")
    assert set(claims.values_list("region__pcode", flat=True)) == {"AF0806", "AF0305", "AF0306", "AF0907"}
    assert AidCorridor.objects.get().status == "closed"

    afghanistan = needs_rollup(pcode="AF")
    assert afghanistan.intersectoral["people_in_need"].value == 18_400_000  # not 31.4 M
    assert {s.sector for s in afghanistan.sectors if s.is_urgent} == {"FSC", "SHL", "HEA"}

    coordinator = get_user_model().objects.get(username="coordinator")
    assert coordinator.is_staff and coordinator.groups.filter(name="Coordinators").exists()


def test_load_demo_names_provinces_and_the_scenarios_districts_in_dari_and_pashto():
    call_command("load_demo")
    panjshir = Region.objects.get(pcode="AF08")
    assert (panjshir.name_fa_af, panjshir.name_ps) == ("پنجشیر", "پنجشېر")
    assert panjshir.localised_name("fa-af") == "پنجشیر"
    assert not Region.objects.filter(admin_level__lte=1, name_fa_af="").exists()
    assert not Region.objects.filter(admin_level__lte=1, name_ps="").exists()
    for pcode in ["AF0801", "AF0806", "AF0305", "AF0306", "AF0907"]:  # the districts the scenario names
        district = Region.objects.get(pcode=pcode)
        assert district.name_fa_af and district.name_ps, pcode
    assert Region.objects.get(pcode="AF").time_zone == "Asia/Kabul"
