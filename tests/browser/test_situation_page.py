"""The situation page in a real browser: the demo coordinator's morning look at Panjshir.

Headless Chromium against pytest-django's live server, with the Panjshir demo loaded: log in, see
Panjshir on the map with its status and its outages, click it, read the details, go back to
31 August 2021 and see a different picture; a screenshot goes to test-artifacts/situation.png.
"""

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from access.choices import AffectedGroupCode
from access.models import AffectedGroup
from scenarios.demo import DEMO_COORDINATOR_USERNAME, load_demo
from tests.browser.waiting import wait

# The live server reads through its own connection, so the data must be committed: a transactional test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANJSHIR = "AF08"


def text_of(driver, selector) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).text


def css_colour(driver, name) -> str:
    script = "return getComputedStyle(document.documentElement).getPropertyValue(arguments[0]).trim()"
    return driver.execute_script(script, name)


@pytest.fixture
def coordinator_on_the_page(chromium, live_server):
    """The demo loaded, the demo coordinator logged in through the page's own form, the page open."""
    # A transactional test run before this one flushed the rows the migrations seeded; put them back.
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)
    load_demo()
    chromium.get(f"{live_server.url}/situation/")
    # Not logged in: the page sends us to its login form first.
    wait(chromium).until(ec.presence_of_element_located((By.NAME, "username")))
    assert "/situation/login/" in chromium.current_url
    chromium.find_element(By.NAME, "username").send_keys(DEMO_COORDINATOR_USERNAME)
    chromium.find_element(By.NAME, "password").send_keys(settings.HUMTRACK_DEMO_PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "main.login button[type=submit]").click()
    wait(chromium).until(ec.presence_of_element_located((By.CSS_SELECTOR, f"path.region-{PANJSHIR}")))
    return chromium


def test_coordinator_sees_panjshir_reads_its_details_and_goes_back_to_31_august(
    coordinator_on_the_page, live_server, artifacts
):
    browser = coordinator_on_the_page
    assert browser.current_url == f"{live_server.url}/situation/"

    # Panjshir on the map, in the demo's status: unknown (the UN's "no precise information"), with its outages.
    panjshir = browser.find_element(By.CSS_SELECTOR, f"path.region-{PANJSHIR}")
    assert panjshir.get_attribute("fill") == css_colour(browser, "--status-unknown")
    assert text_of(browser, f".region-label-{PANJSHIR}") == "Panjsher: Unknown"
    outages = browser.find_element(By.CSS_SELECTOR, f".outage-marker-{PANJSHIR}")
    assert outages.get_attribute("title") == "Active outages in Panjsher: Electricity, Internet"
    row = browser.find_element(By.ID, f"region-{PANJSHIR}")
    assert row.get_attribute("data-status") == "unknown"
    assert "Unknown (confirmed)" in row.text
    assert "Electricity, Internet" in row.text
    # The Kabul – Bazarak corridor, closed, and the credit for the outlines.
    assert browser.find_elements(By.CSS_SELECTOR, "path.corridor-closed")
    assert "Administrative boundaries courtesy of geoBoundaries.org" in text_of(browser, ".leaflet-control-attribution")

    panjshir.click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), "Panjsher"))
    details = text_of(browser, "#details-body")
    assert text_of(browser, "#details-status").startswith("Unknown")
    assert "1 Sept 2021, 14:00 UTC" in details
    assert "The UN has no precise information on the humanitarian situation in Panjshir" in details
    assert "Confirmed" in details
    assert "Video link-up statement on Panjshir" in details  # the UN's statement, the source
    assert "Active restrictions (3)" in details
    assert "Restriction of movement within the country" in details
    assert "Affects all aid workers, women aid workers; imposed by Parties to the conflict" in details
    assert "The NRF declared victory in Shotul (Shatel)." in details  # a district's claim, marked claimed
    assert "Claimed (by a party to the conflict)" in details
    assert "Active outages (2)" in details
    assert "Electricity cut (full, deliberate cut)" in details
    assert browser.current_url.endswith(f"#region={PANJSHIR}")
    # Everything came from this server: no tiles, no scripts from elsewhere.
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert loaded and all(url.startswith(live_server.url) for url in loaded), loaded

    # Back to the evening of 31 August 2021, before the UN's statement and the cuts.
    as_of = browser.find_element(By.NAME, "as_of")
    as_of.send_keys("08312021")
    assert as_of.get_attribute("value") == "2021-08-31"
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "picture-when"), "31 August 2021"))
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-status"), "Severely constrained"))

    panjshir = browser.find_element(By.CSS_SELECTOR, f"path.region-{PANJSHIR}")
    assert panjshir.get_attribute("fill") == css_colour(browser, "--status-severely_constrained")
    assert text_of(browser, f".region-label-{PANJSHIR}") == "Panjsher: Severely constrained"
    assert not browser.find_elements(By.CSS_SELECTOR, f".outage-marker-{PANJSHIR}")
    row = browser.find_element(By.ID, f"region-{PANJSHIR}")
    assert row.get_attribute("data-status") == "severely_constrained"
    assert "Severely constrained (reported)" in row.text
    details = text_of(browser, "#details-body")
    assert "31 Aug 2021, 12:00 UTC" in details
    assert "Fighting in Panjshir; the valley is closed." in details
    assert "Active outages (0)" in details
    assert "The UN has no precise information" not in text_of(browser, "#status-changes")

    screenshot = artifacts / "situation.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 0


def test_the_page_fits_a_phone_screen(coordinator_on_the_page, artifacts):
    browser = coordinator_on_the_page
    browser.set_window_size(390, 844)
    browser.refresh()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, f"path.region-{PANJSHIR}")))

    viewport = browser.execute_script("return document.documentElement.clientWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport
    the_map = browser.find_element(By.ID, "map").rect
    assert the_map["x"] >= 0 and the_map["x"] + the_map["width"] <= viewport
    # One column: the selected region's card comes first, above the map, the needs and the table.
    browser.find_element(By.ID, f"region-{PANJSHIR}").find_element(By.CSS_SELECTOR, "button.region-link").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), "Panjsher"))
    details = browser.find_element(By.ID, "details").rect
    the_map = browser.find_element(By.ID, "map").rect
    needs = browser.find_element(By.CSS_SELECTOR, ".needs-panel").rect
    assert details["y"] < the_map["y"] < needs["y"]
    assert details["width"] <= viewport
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(artifacts / "situation-phone.png"))
