"""The situation page in Dari in a real browser: right to left, mirrored, the map's controls included.

Headless Chromium against the live server with the Panjshir demo loaded: the demo coordinator logs in,
picks Dari with the page's language switch, and the page comes back right to left with the regions
named in Dari; the zoom control moves from the map's left (English) to its right, as mirroring puts
what starts a line on the side a Dari line starts; a screenshot goes to test-artifacts/situation-dari.png.
"""

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select

from access.choices import AffectedGroupCode
from access.models import AffectedGroup
from scenarios.demo import DEMO_COORDINATOR_USERNAME, load_demo
from tests.browser.waiting import wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rect(driver, selector) -> dict:
    return driver.find_element(By.CSS_SELECTOR, selector).rect


@pytest.fixture
def coordinator_on_the_page(chromium, live_server):
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)
    load_demo()
    chromium.get(f"{live_server.url}/situation/login/")
    chromium.find_element(By.NAME, "username").send_keys(DEMO_COORDINATOR_USERNAME)
    chromium.find_element(By.NAME, "password").send_keys(settings.HUMTRACK_DEMO_PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "main.login button[type=submit]").click()
    wait(chromium).until(ec.presence_of_element_located((By.CSS_SELECTOR, "path.region-AF08")))
    return chromium


def test_in_dari_the_page_is_right_to_left_and_the_map_controls_are_mirrored(coordinator_on_the_page, artifacts):
    browser = coordinator_on_the_page
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("en", "ltr")
    the_map = rect(browser, "#map")
    zoom = rect(browser, ".leaflet-control-zoom")
    assert zoom["x"] < the_map["x"] + the_map["width"] / 2  # English: top left

    Select(browser.find_element(By.ID, "language-select")).select_by_value("fa-af")
    browser.find_element(By.CSS_SELECTOR, "#language-switch button[type=submit]").click()
    wait(browser).until(lambda driver: driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl")
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "path.region-AF08")))

    html = browser.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("lang") == "fa-af"
    assert browser.execute_script("return getComputedStyle(document.body).direction") == "rtl"
    # Regions named in Dari, on the map and in the table.
    assert browser.find_element(By.CSS_SELECTOR, ".region-label-AF08").text.startswith("پنجشیر")
    assert "پنجشیر" in browser.find_element(By.ID, "region-AF08").text

    # The map's controls mirrored: zoom at the top right, the attribution at the bottom left.
    the_map = rect(browser, "#map")
    zoom = rect(browser, ".leaflet-control-zoom")
    attribution = rect(browser, ".leaflet-control-attribution")
    middle = the_map["x"] + the_map["width"] / 2
    assert zoom["x"] > middle and zoom["x"] + zoom["width"] <= the_map["x"] + the_map["width"]
    assert zoom["y"] < the_map["y"] + the_map["height"] / 2
    assert attribution["x"] + attribution["width"] / 2 < middle
    # The page mirrored too: the side column (region details) on the left, the map's column on the right.
    assert rect(browser, "#details")["x"] < the_map["x"]

    browser.save_screenshot(str(artifacts / "situation-dari.png"))
