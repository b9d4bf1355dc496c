"""The monthly access snapshot in a real browser: September 2021 with the Panjshir demo loaded, its counts
against the demo's incident log, printed to PDF by headless Chromium (A4 landscape: few pages, the map on
the first, no controls), and axe-core finding no serious or critical violation.
"""

import base64
import io

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions

from access.choices import AffectedGroupCode
from access.models import AffectedGroup
from scenarios.demo import load_demo
from tests.browser.accessibility import axe_violations

# The live server reads through its own connection, so the data must be committed: a transactional test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The printed snapshot: the map's page, then the tables, incidents, changes, needs and sources.
MOST_PRINTED_PAGES = 6


@pytest.fixture
def september_snapshot(chromium, live_server):
    # A transactional test run before this one flushed the rows the migrations seeded; put them back.
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)
    load_demo()
    chromium.get(f"{live_server.url}/situation/snapshot/?month=2021-09&within=AF")
    return chromium


def count_cell(driver, table: str, key: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f"#counts-{table} tr[data-key='{key}'] td.count").text


def test_september_2021_snapshot_shows_the_demo_counts_prints_on_a4_landscape_with_the_map_first(
    september_snapshot, artifacts
):
    browser = september_snapshot

    # The demo log: 8 incidents under way in September 2021, all by parties to the conflict.
    assert browser.find_element(By.ID, "total-incidents").text.startswith("8 incidents under way in the month")
    assert count_cell(browser, "category", "hostilities") == "5"
    assert count_cell(browser, "category", "restricted_access_to_services") == "2"
    assert count_cell(browser, "category", "movement_restrictions") == "1"
    assert count_cell(browser, "perpetrator_type", "party_to_the_conflict") == "8"
    assert count_cell(browser, "region", "AF08") == "5"
    assert browser.find_element(By.CSS_SELECTOR, "#severity-map svg path.region-AF08")
    browser.save_screenshot(str(artifacts / "snapshot.png"))
    # Nothing wider than the window: no sideways scrolling on a laptop's screen.
    wide = browser.execute_script(  # the elements reaching past the window's right edge
        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
        "document.documentElement.clientWidth).map(e => e.tagName + '.' + e.className + ' ' + "
        "e.getBoundingClientRect().right).slice(0, 8)"
    )
    assert wide == []

    # A4 (in centimetres, portrait as WebDriver takes it) turned landscape, as the print stylesheet's @page asks.
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    options.orientation = "landscape"
    options.background = True
    printed = base64.b64decode(browser.print_page(options))
    (artifacts / "snapshot.pdf").write_bytes(printed)

    reader = PdfReader(io.BytesIO(printed))
    assert 1 < len(reader.pages) <= MOST_PRINTED_PAGES
    first_page = reader.pages[0]
    width, height = float(first_page.mediabox.width), float(first_page.mediabox.height)
    assert width > height  # landscape
    first = " ".join(first_page.extract_text().split())
    assert "Computed access severity in Afghanistan, September 2021" in first
    assert "8 incidents under way in the month" in first
    # No controls in print: the form and the downloads are on screen only.
    assert "Download:" not in " ".join(page.extract_text() for page in reader.pages)


def test_the_snapshot_has_no_serious_or_critical_accessibility_violation(september_snapshot):
    assert axe_violations(september_snapshot) == []
