from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from access.choices import AccessStatus, Confidence
from access.models import Region
from access.policies import can_change_region
from access.selectors.coordinators import regions_editable_by
from access.selectors.regions import fresh_regions, regions_within, search_regions, stale_regions
from access.services import change_access_status
from access.services.regions import import_regions, save_region
from humtrack.actor import SYSTEM, Actor
from tests.factories import make_coordinator, make_region

pytestmark = pytest.mark.django_db


def test_within_is_one_query_and_includes_the_region_itself(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        pcodes = sorted(regions_within("AF08").values_list("pcode", flat=True))
    assert pcodes == ["AF08", "AF0801", "AF0806"]


def test_a_region_cannot_be_its_own_ancestor(tree):
    panjshir = tree["AF08"]
    panjshir.parent = tree["AF0801"]
    with pytest.raises(ValidationError) as error:
        save_region(region=panjshir, actor=SYSTEM)
    assert "parent" in error.value.message_dict
    panjshir.refresh_from_db()
    assert panjshir.parent == tree["AF"]


def test_moving_a_region_moves_everything_under_it(tree):
    other = make_region("PK", "Pakistan")
    panjshir = tree["AF08"]
    panjshir.parent = other
    save_region(region=panjshir, actor=SYSTEM)
    assert Region.objects.get(pcode="AF0806").path == "PK/AF08/AF0806/"
    assert sorted(regions_within("PK").values_list("pcode", flat=True)) == ["AF08", "AF0801", "AF0806", "PK"]


def test_search_finds_other_spellings_and_pcodes(tree):
    assert list(search_regions("Panjshir")) == [tree["AF08"]]
    assert list(search_regions("af0806")) == [tree["AF0806"]]


def test_every_region_without_a_confirmed_update_is_stale(tree):
    assert set(stale_regions()) == set(tree.values())


def test_a_coordinator_edits_their_regions_and_those_under_them_only(tree):
    coordinator = make_coordinator(tree["AF08"])
    assert can_change_region(Actor(user=coordinator), tree["AF0806"])
    assert not can_change_region(Actor(user=coordinator), tree["AF03"])
    assert not can_change_region(Actor(user=coordinator), tree["AF"])
    assert set(regions_editable_by(coordinator)) == {tree["AF08"], tree["AF0801"], tree["AF0806"]}


ADMIN_ROWS = [
    {"admin_level": "0", "pcode": "SD", "name": "Sudan", "parent_pcode": ""},
    {"admin_level": "2", "pcode": "SD01001", "name": "Khartoum", "parent_pcode": "SD01"},
    {"admin_level": "1", "pcode": "SD01", "name": "Khartoum State", "parent_pcode": "SD"},
]


def test_import_loads_any_country_parents_first_and_twice_changes_nothing():
    first = import_regions(rows=ADMIN_ROWS, actor=SYSTEM)
    assert (first.created, first.updated) == (3, 0)
    assert Region.objects.get(pcode="SD01001").path == "SD/SD01/SD01001/"
    history_rows = Region.history.count()
    second = import_regions(rows=ADMIN_ROWS, actor=SYSTEM)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert Region.history.count() == history_rows


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ({"admin_level": "1", "pcode": "SD02", "name": "Kassala", "parent_pcode": "XX"}, "unknown parent p-code XX"),
        ({"admin_level": "one", "pcode": "SD02", "name": "Kassala", "parent_pcode": "SD"}, "not a whole number"),
        ({"admin_level": "1", "pcode": "sd-02!", "name": "Kassala", "parent_pcode": "SD"}, "p-code"),
        ({"admin_level": "0", "pcode": "SD02", "name": "Kassala", "parent_pcode": "SD"}, "higher administrative level"),
    ],
)
def test_a_bad_row_names_its_line_and_nothing_is_imported(bad_row, message):
    with pytest.raises(ValidationError) as error:
        import_regions(rows=ADMIN_ROWS + [bad_row], actor=SYSTEM)
    assert "Line 5" in error.value.messages[0] and message in error.value.messages[0]
    assert not Region.objects.exists()


def test_the_import_command_reads_a_cod_csv(tmp_path, capsys):
    csv_file = tmp_path / "admin.csv"
    csv_file.write_text("admin_level,pcode,name,parent_pcode\n0,SD,Sudan,\n1,SD01,Khartoum State,SD\n")
    call_command("import_regions", str(csv_file))
    assert "2 created" in capsys.readouterr().out
    csv_file.write_text("admin_level,pcode,name,parent_pcode\n1,SD02,Kassala,ZZ\n")
    with pytest.raises(CommandError, match="unknown parent p-code ZZ"):
        call_command("import_regions", str(csv_file))


def test_freshness_is_that_of_the_record_a_region_shows_its_own_or_its_ancestors(tree, source):
    def record(region, confidence, days_ago):
        change_access_status(
            region=region,
            status=AccessStatus.INACCESSIBLE,
            reason="Fighting on the road",
            source=source,
            confidence=confidence,
            actor=SYSTEM,
            effective_at=timezone.now() - timedelta(days=days_ago),
        )

    record(tree["AF08"], Confidence.CONFIRMED, days_ago=1)  # Bazarak inherits it: fresh
    record(tree["AF0806"], Confidence.CONFIRMED, days_ago=30)  # Shutul's own record is old: stale
    fresh = {region.pcode for region in fresh_regions()}
    assert fresh == {"AF08", "AF0801"}
    assert {region.pcode for region in stale_regions()} == {r.pcode for r in tree.values()} - fresh
    past = timezone.now() - timedelta(days=27)  # before Panjshir's record; Shutul's was fresh then
    assert {region.pcode for region in fresh_regions(now=past)} == {"AF0806"}
