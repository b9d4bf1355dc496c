"""Countries: the ISO 3166-1 alpha-3 code of each country p-code humtrack carries.

HDX HAPI names a country by its ISO3 code (`AFG`); the COD p-codes name it by its admin-0 p-code
(`AF`). The table is reference data, read from needs/fixtures/countries.csv (its sources are in
needs/fixtures/SOURCES.md), so a country is added by a row, not by code.
"""

import csv
from functools import cache
from pathlib import Path

COUNTRIES_CSV = Path(__file__).resolve().parent / "fixtures" / "countries.csv"


@cache
def iso3_by_pcode() -> dict[str, str]:
    """{admin-0 p-code: ISO3}, e.g. {"AF": "AFG"}."""
    with COUNTRIES_CSV.open(newline="", encoding="utf-8") as table:
        return {row["pcode"]: row["iso3"] for row in csv.DictReader(table)}


def pcode_of_iso3(iso3: str) -> str | None:
    """The admin-0 p-code of a country named by its ISO3 code; None for a country not in the table."""
    return next((pcode for pcode, code in iso3_by_pcode().items() if code == iso3), None)
