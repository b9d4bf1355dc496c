"""The situation page as a coordinator uses it (issue 16 §4), in headless Chromium with the Panjshir demo.

Each test is one thing a coordinator found wrong: a label over the outage marker, no place names, no zoom
to the region picked, forty anonymous tab stops on the map, a phone page 8,500 px long that scrolled
sideways, five printed pages with the controls, and no "what changed today".
"""

import base64
import io
import time

import pytest
from django.conf import settings
from pypdf import PdfReader
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select

from access.choices import AffectedGroupCode
from access.models import AffectedGroup
from scenarios.demo import DEMO_COORDINATOR_USERNAME, load_demo
from tests.browser.accessibility import axe_violations
from tests.browser.waiting import wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANJSHIR = "AF08"
# The old page was about 8,500 px long on a phone; now about 5,100 with Panjshir's card open.
PHONE_HEIGHT_LIMIT = 6000
PRINTED_PAGES_LIMIT = 4  # A4 portrait: was 7 with the controls


@pytest.fixture
def coordinator(chromium, live_server):
    """The demo loaded and the demo coordinator signed in; the browser on the login's landing page."""
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)
    load_demo()
    chromium.get(f"{live_server.url}/situation/login/")
    chromium.find_element(By.NAME, "username").send_keys(DEMO_COORDINATOR_USERNAME)
    chromium.find_element(By.NAME, "password").send_keys(settings.HUMTRACK_DEMO_PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "main.login button[type=submit]").click()
    wait(chromium).until(ec.presence_of_element_located((By.CSS_SELECTOR, f"path.region-{PANJSHIR}")))
    return chromium


def open_page(browser, url):
    browser.get(url)
    browser.refresh()  # a URL that differs only by its #fragment would not load the page again
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, f"path.region-{PANJSHIR}")))


def select_in_table(browser, pcode):
    browser.find_element(By.ID, f"region-{pcode}").find_element(By.CSS_SELECTOR, "button.region-link").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), pcode))


def box(browser, selector) -> dict:
    script = "return document.querySelector(arguments[0]).getBoundingClientRect().toJSON()"
    return browser.execute_script(script, selector)


def settled(browser):
    """Wait for Leaflet's zoom to end: it starts on the next animation frame and lasts a quarter second."""
    animating = (By.CSS_SELECTOR, ".leaflet-zoom-anim")
    wait(browser).until(lambda driver: not driver.find_elements(*animating))
    time.sleep(0.4)
    wait(browser).until(lambda driver: not driver.find_elements(*animating))


LABELS_OVER_MARKERS = """
    const boxes = (selector) => [...document.querySelectorAll(selector)]
        .filter((node) => !node.hidden && node.getBoundingClientRect().width > 0)
        .map((node) => [node.getAttribute("class"), node.getBoundingClientRect()]);
    const over = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const labels = boxes(".region-label"), markers = boxes(".outage-marker, path.region-point");
    const found = [];
    for (const [label, a] of labels) {
        for (const [marker, b] of markers) if (over(a, b)) found.push(label + " over " + marker);
    }
    return {labels: labels.length, markers: markers.length, found};
"""


def test_no_label_covers_a_marker_at_country_zoom_or_zoomed_in(coordinator, live_server):
    browser = coordinator
    open_page(browser, f"{live_server.url}/situation/?as_of=2021-09-01")
    assert browser.find_element(By.CSS_SELECTOR, f".outage-marker-{PANJSHIR}").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, f".region-label-{PANJSHIR}").text == "Panjsher: Unknown"
    checked = browser.execute_script(LABELS_OVER_MARKERS)
    assert checked["markers"] >= 6 and checked["labels"] >= 1  # the outage marker and five districts drawn as points
    assert checked["found"] == []
    select_in_table(browser, PANJSHIR)
    settled(browser)
    zoomed = browser.execute_script(LABELS_OVER_MARKERS)
    assert zoomed["markers"] >= 1 and zoomed["found"] == []


def to_dari(browser):
    """Switch the page to Dari with its language switch; wait for the map drawn and named again."""
    Select(browser.find_element(By.ID, "language-select")).select_by_value("fa-af")
    browser.find_element(By.CSS_SELECTOR, "#language-switch button[type=submit]").click()
    # Read through script, not a found element: the old page's elements go stale as the new one loads.
    wait(browser).until(lambda driver: driver.execute_script("return document.documentElement.dir") == "rtl")
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, f"path.region-{PANJSHIR}[aria-label]")))


def visible_labels(browser) -> list[str]:
    script = "return [...document.querySelectorAll('.region-label')].filter(n => !n.hidden).map(n => n.textContent)"
    return browser.execute_script(script)


def test_provinces_are_named_at_country_zoom_in_the_pages_language(coordinator):
    browser = coordinator
    names = visible_labels(browser)
    assert len(names) >= 25, names  # of the 34 provinces; a name that would cover a marker steps aside
    assert {"Kabul", "Kandahar", "Hirat", "Balkh"} <= set(names)
    assert "Panjsher: Unknown" in names

    to_dari(browser)
    in_dari = visible_labels(browser)
    assert "کابل" in in_dari and "Kabul" not in in_dari
    assert any(name.startswith("پنجشیر") for name in in_dari)


def test_selecting_a_region_in_the_table_or_on_the_map_zooms_to_it(coordinator):
    browser = coordinator
    the_map = box(browser, "#map")
    before = box(browser, f"path.region-{PANJSHIR}")
    assert before["width"] < the_map["width"] / 5  # one province of 34 at country zoom

    select_in_table(browser, PANJSHIR)
    settled(browser)
    the_map, after = box(browser, "#map"), box(browser, f"path.region-{PANJSHIR}")  # the page scrolled to the card
    assert after["width"] > the_map["width"] / 2 or after["height"] > the_map["height"] / 2
    centre_x, centre_y = after["left"] + after["width"] / 2, after["top"] + after["height"] / 2
    assert the_map["left"] < centre_x < the_map["right"] and the_map["top"] < centre_y < the_map["bottom"]

    # Clicking a neighbour on the map zooms to that one.
    browser.execute_script("window.scrollTo(0, 0)")
    kapisa = browser.find_element(By.CSS_SELECTOR, "path.region-AF03")
    ActionChains(browser).move_to_element(kapisa).click().perform()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), "AF03"))
    settled(browser)
    assert box(browser, "path.region-AF03")["width"] > before["width"] * 3


def test_the_maps_regions_are_one_named_tab_stop_that_the_arrow_keys_walk_and_enter_selects(coordinator):
    browser = coordinator
    regions = browser.find_elements(By.CSS_SELECTOR, "#map path.region")
    assert len(regions) >= 34
    tab_stops = [path for path in regions if path.get_attribute("tabindex") == "0"]
    assert len(tab_stops) == 1
    assert all(path.get_attribute("role") == "button" and path.get_attribute("aria-label") for path in regions)
    assert "arrow keys" in browser.find_element(By.ID, regions[0].get_attribute("aria-describedby")).get_attribute(
        "textContent"
    )
    corridors = browser.find_elements(By.CSS_SELECTOR, "#map path.corridor")
    assert corridors and all(path.get_attribute("tabindex") == "-1" for path in corridors)

    browser.execute_script("document.getElementById('map').focus()")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    focused = browser.switch_to.active_element
    assert focused.get_attribute("aria-label") == "Kabul: No information recorded"
    for _ in range(len(regions)):
        if focused.get_attribute("aria-label").startswith("Panjsher"):
            break
        ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
        focused = browser.switch_to.active_element
    assert focused.get_attribute("aria-label") == "Panjsher: Unknown"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), "Panjsher"))
    # One more Tab leaves the regions: not forty more stops.
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert "region" not in (browser.switch_to.active_element.get_attribute("class") or "").split()


def test_axe_finds_no_serious_violation_in_english_or_dari(coordinator):
    browser = coordinator
    select_in_table(browser, PANJSHIR)
    assert axe_violations(browser) == []
    to_dari(browser)
    panjshir = browser.find_element(By.CSS_SELECTOR, f"path.region-{PANJSHIR}")
    assert panjshir.get_attribute("aria-label").startswith("پنجشیر")
    assert axe_violations(browser) == []


def test_on_a_phone_the_selected_regions_card_comes_first_nothing_scrolls_sideways_and_the_page_is_short(
    coordinator, live_server, artifacts
):
    browser = coordinator
    browser.set_window_size(390, 844)
    open_page(browser, f"{live_server.url}/situation/?within=#region={PANJSHIR}")
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), "Panjsher"))

    viewport = browser.execute_script("return document.documentElement.clientWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport
    card, today, the_map = box(browser, "#details"), box(browser, "#recent-changes"), box(browser, "#map")
    assert card["top"] < today["top"] < the_map["top"]
    # The table of regions is cards that wrap: no row wider than the screen.
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#regions-table tbody tr')]"
        ".map(row => [getComputedStyle(row).display, row.getBoundingClientRect().right])"
    )
    assert rows and all(display != "table-row" and right <= viewport for display, right in rows)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    print(f"phone page height: {height} px")
    assert height < PHONE_HEIGHT_LIMIT
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(artifacts / "situation-phone.png"))


def test_printing_leaves_the_controls_out_and_fits_map_region_and_list_on_few_a4_pages(coordinator, artifacts):
    browser = coordinator
    select_in_table(browser, PANJSHIR)
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in centimetres
    pdf_bytes = base64.b64decode(browser.print_page(options))
    (artifacts / "situation-print.pdf").write_bytes(pdf_bytes)
    pages = PdfReader(io.BytesIO(pdf_bytes)).pages
    texts = [page.extract_text() for page in pages]
    print(f"printed pages: {len(pages)}")
    assert len(pages) <= PRINTED_PAGES_LIMIT
    everything = "\n".join(texts)
    for control in ("Log out", "Find a region", "Now, all regions", "Zoom in"):
        assert control not in everything
    assert "Changed in the last 24 hours" in texts[0] and "Access status" in texts[0]  # the map's legend on page 1
    assert "Panjsher" in everything and "Badakhshan" in everything  # the region's card and the list


def test_what_changed_in_the_24_hours_before_the_day_shown_is_at_the_top_newest_first(coordinator, live_server):
    browser = coordinator
    assert "Nothing changed in the last 24 hours." in browser.find_element(By.ID, "recent-changes").text

    open_page(browser, f"{live_server.url}/situation/?as_of=2021-09-01")
    recent = browser.find_element(By.ID, "recent-changes")
    assert recent.rect["y"] < browser.find_element(By.ID, "map").rect["y"]
    items = recent.find_elements(By.CSS_SELECTOR, "li.recent")
    assert len(items) == 9
    newest = items[0].text
    assert "Access status" in newest and "Unknown" in newest
    assert "1 September 2021, 18:30" in newest and "(14:00 UTC)" in newest  # Kabul's time, UTC beside
    assert "Video link-up statement on Panjshir" in newest  # its source
    moments = [item.find_element(By.TAG_NAME, "time").get_attribute("datetime") for item in items]
    assert moments == sorted(moments, reverse=True)
    # A region named in the list selects it.
    items[0].find_element(By.CSS_SELECTOR, "button.region-link").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), "Panjsher"))
