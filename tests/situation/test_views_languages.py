"""The situation page in English, Dari and Pashto: lang and dir, region names, the language switch, the search."""

import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from access.choices import AccessStatus, Confidence
from access.services import change_access_status, save_region
from humtrack.actor import SYSTEM
from tests.factories import SourceFactory, UserFactory

PAGE = reverse("situation:page")
LOGIN = reverse("situation:login")
DARI_PANJSHIR, PASHTO_PANJSHIR = "پنجشیر", "پنجشېر"


@pytest.fixture
def named(tree):
    """The test country with Panjshir and Bazarak named in Dari and Pashto, Panjshir's status recorded,
    every region with a point on the map (so the page lists it)."""
    names = {"AF08": (DARI_PANJSHIR, PASHTO_PANJSHIR), "AF0801": ("بازارک", "بازارک")}
    for number, (pcode, region) in enumerate(tree.items()):
        region.name_fa_af, region.name_ps = names.get(pcode, ("", ""))
        region.latitude, region.longitude = Decimal("35.0") + number, Decimal("69.0")
        save_region(region=region, actor=SYSTEM)
    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Fighting",
        source=SourceFactory(),
        confidence=Confidence.CONFIRMED,
        actor=SYSTEM,
    )
    return tree


@pytest.fixture(autouse=True)
def pashto_catalogue(tmp_path, settings):
    """A (still empty) Pashto catalogue: Django activates only a language it finds a catalogue for, and
    it ships none for Pashto; the project's own (locale/ps) comes with the translations."""
    import polib  # type: ignore[import-untyped]

    where = tmp_path / "locale" / "ps" / "LC_MESSAGES"
    where.mkdir(parents=True)
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "ps"}
    catalogue.save_as_mofile(str(where / "django.mo"))
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path / "locale"]


@pytest.fixture
def reader(client, named):
    client.force_login(UserFactory())
    return client


def in_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def matched(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.S)
    assert match, pattern
    return match.group(1) if match.groups() else match.group(0)


def html_tag(response) -> str:
    return matched(r"<html[^>]*>", response.text)


def map_regions(response) -> dict:
    data = matched(r'<script id="map-data" type="application/json">(.*?)</script>', response.text)
    return {region["pcode"]: region for region in json.loads(data)["regions"]}


@pytest.mark.parametrize(
    "language,direction", [("en", "ltr"), ("fa-af", "rtl"), ("ps", "rtl")], ids=["english", "dari", "pashto"]
)
def test_the_page_sets_lang_and_dir_from_the_active_language(reader, language, direction):
    response = in_language(reader, language).get(PAGE)
    assert response.status_code == 200
    assert html_tag(response) == f'<html lang="{language}" dir="{direction}">'


def region_row(response, pcode) -> str:
    return matched(rf'<tr id="region-{pcode}".*?</tr>', response.text)


def test_in_dari_the_page_names_regions_in_dari_and_falls_back_to_english_where_unknown(reader):
    response = in_language(reader, "fa-af").get(PAGE)
    assert map_regions(response)["AF08"]["name"] == DARI_PANJSHIR
    assert ">بازارک</button>" in region_row(response, "AF0801")
    assert f"{DARI_PANJSHIR} (AF08)" in region_row(response, "AF0801")  # the status it inherits, and from where
    assert ">Shutul</button>" in region_row(response, "AF0806")  # no Dari name known: the COD's
    assert f'data-pcode="AF08">{DARI_PANJSHIR}</button>' in response.text  # the table and the lists
    assert f'<option value="AF08">— {DARI_PANJSHIR} (AF08)</option>' in response.text  # the region filter


def test_in_pashto_the_details_panel_names_the_region_and_its_parent_in_pashto(reader):
    in_language(reader, "ps")
    details = reader.get(reverse("situation:region-details", kwargs={"pcode": "AF0801"})).json()
    assert (details["name"], details["parent"]) == ("بازارک", PASHTO_PANJSHIR)
    assert details["status"]["from"]["name"] == PASHTO_PANJSHIR


def test_the_language_switch_is_on_the_page_and_the_login_page_and_sets_the_language(client, named):
    login = client.get(LOGIN)
    assert 'action="/i18n/setlang/"' in login.text and 'name="language"' in login.text
    assert '<option value="fa-af" lang="fa-af">دری</option>' in login.text
    client.force_login(UserFactory())
    page = client.get(PAGE)
    assert 'id="language-switch"' in page.text and f'name="next" value="{PAGE}"' in page.text

    switched = client.post("/i18n/setlang/", {"language": "fa-af", "next": PAGE})
    assert (switched.status_code, switched["Location"]) == (302, PAGE)
    assert html_tag(client.get(PAGE)) == '<html lang="fa-af" dir="rtl">'


@pytest.mark.parametrize("text", [DARI_PANJSHIR, PASHTO_PANJSHIR, "پنجشير", "Panjshir", "af08"])
def test_the_search_finds_panjshir_by_any_name_and_links_to_it(reader, text):
    response = reader.get(PAGE, {"q": text})
    assert response.status_code == 200
    found = matched(r'<div class="search-results".*?</div>', response.text)
    assert re.findall(r'data-pcode="(\w+)"', found) == ["AF08"]
    assert f'href="{PAGE}?within=AF08"' in found
    # The search leaves the picture whole: all regions still shown.
    assert all(f'id="region-{pcode}"' in response.text for pcode in ["AF", "AF08", "AF03", "AF0305"])


def test_in_dari_the_search_lists_the_region_by_its_dari_name(reader):
    response = in_language(reader, "fa-af").get(PAGE, {"q": DARI_PANJSHIR})
    found = matched(r'<div class="search-results".*?</div>', response.text)
    assert f">{DARI_PANJSHIR}</a>" in found


def test_a_search_that_finds_nothing_says_so(reader):
    response = reader.get(PAGE, {"q": "Atlantis"})
    assert "No region is named “Atlantis” or has that p-code." in response.text


def test_times_on_the_page_say_they_are_utc(reader):
    response = reader.get(PAGE)
    assert re.search(r"The picture now \(.* UTC\)", response.text)
    assert re.search(r"<time [^>]*>[^<]* UTC</time>", response.text)


def test_the_page_script_gets_its_words_from_djangos_javascript_catalog(reader):
    page = reader.get(PAGE)
    assert '<script src="/situation/jsi18n/"></script>' in page.text
    catalog = reader.get(reverse("situation:jsi18n"))
    assert catalog.status_code == 200
    assert "function" in catalog.text and "interpolate" in catalog.text
