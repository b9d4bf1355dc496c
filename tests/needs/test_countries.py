"""needs.countries: every country the COD fixtures carry has its ISO3 code."""

import csv

from needs.countries import iso3_by_pcode, pcode_of_iso3
from scenarios.demo import FIXTURES


def test_every_country_of_the_cod_fixture_has_an_iso3_code():
    with (FIXTURES / "afg_admin.csv").open(newline="", encoding="utf-8") as table:
        countries = [row["pcode"] for row in csv.DictReader(table) if row["admin_level"] == "0"]
    assert countries == ["AF"]
    assert {pcode: iso3_by_pcode()[pcode] for pcode in countries} == {"AF": "AFG"}


def test_an_iso3_code_names_its_p_code_and_no_other():
    assert pcode_of_iso3("AFG") == "AF"
    assert pcode_of_iso3("afg") is None
    assert pcode_of_iso3("AF") is None
