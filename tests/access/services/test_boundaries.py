import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from access.models import Region
from access.services import import_boundaries
from humtrack.actor import SYSTEM
from scenarios.demo import FIXTURES, load_demo

SQUARE = {"type": "Polygon", "coordinates": [[[69.0, 35.0], [69.5, 35.0], [69.5, 35.5], [69.0, 35.0]]]}


def feature(pcode, geometry=SQUARE, **properties):
    return {"type": "Feature", "properties": {"pcode": pcode, **properties}, "geometry": geometry}


def write_collection(tmp_path, features):
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_boundary_is_stored_on_the_region_named_by_pcode(tree):
    result = import_boundaries(features=[feature("af08", name="Panjshir")], actor=SYSTEM)

    assert (result.updated, result.unchanged) == (1, 0)
    assert Region.objects.get(pcode="AF08").boundary == SQUARE
    assert Region.objects.get(pcode="AF03").boundary is None


def test_importing_the_same_boundaries_again_changes_nothing(tree):
    import_boundaries(features=[feature("AF08")], actor=SYSTEM)
    history_rows = Region.history.filter(pcode="AF08").count()

    again = import_boundaries(features=[feature("AF08")], actor=SYSTEM)

    assert (again.updated, again.unchanged) == (0, 1)
    assert Region.history.filter(pcode="AF08").count() == history_rows


def test_unknown_pcodes_are_all_named_and_nothing_is_stored(tree):
    with pytest.raises(ValidationError) as error:
        import_boundaries(features=[feature("AF08"), feature("XX01"), feature("XX02")], actor=SYSTEM)

    assert "XX01, XX02" in str(error.value)
    assert Region.objects.get(pcode="AF08").boundary is None


@pytest.mark.parametrize(
    "bad_feature, message",
    [
        ({"type": "Feature", "properties": {"name": "no code"}, "geometry": SQUARE}, "no 'pcode'"),
        (feature("AF03", geometry={"type": "Point", "coordinates": [69, 35]}), "Polygon or MultiPolygon"),
        (feature("AF03", geometry=None), "Polygon or MultiPolygon"),
        (feature("AF08"), "appears twice"),
        ("not a feature", "not a GeoJSON feature"),
    ],
)
def test_a_malformed_feature_is_refused_and_nothing_is_stored(tree, bad_feature, message):
    with pytest.raises(ValidationError, match=message):
        import_boundaries(features=[feature("AF08"), bad_feature], actor=SYSTEM)

    assert not Region.objects.filter(boundary__isnull=False).exists()


def test_command_loads_a_feature_collection(tree, tmp_path):
    out = StringIO()
    call_command("import_boundaries", str(write_collection(tmp_path, [feature("AF03")])), stdout=out)

    assert "1 updated, 0 unchanged" in out.getvalue()
    assert Region.objects.get(pcode="AF03").boundary == SQUARE


def test_command_reports_unknown_pcodes_as_an_error(tree, tmp_path):
    with pytest.raises(CommandError, match="XX99"):
        call_command("import_boundaries", str(write_collection(tmp_path, [feature("AF03"), feature("XX99")])))

    assert Region.objects.get(pcode="AF03").boundary is None


def test_command_refuses_a_file_that_is_not_a_feature_collection(db, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "Feature"}')
    with pytest.raises(CommandError, match="FeatureCollection"):
        call_command("import_boundaries", str(path))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_boundaries", str(tmp_path / "missing.geojson"))


def test_demo_loads_the_34_province_outlines_once(db):
    load_demo()
    provinces = Region.objects.filter(admin_level=1)
    assert provinces.filter(boundary__isnull=False).count() == 34
    assert provinces.get(pcode="AF08").boundary["type"] == "Polygon"

    second = load_demo()

    assert "Boundaries: 0 updated, 34 unchanged." in second.lines
    assert (FIXTURES / "afg_admin1.geojson").exists()
