"""The demo coordinator's morning in the admin, in headless Chromium against the live server.

Log in at /admin/ through the login form, open Panjshir, press "Change access status", add the new
source through the "+" pop-up, record the change; the region page then shows it. A screenshot goes
to test-artifacts/admin-change-status.png.
"""

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from access.choices import AccessStatus, AffectedGroupCode
from access.models import AffectedGroup, Region, Source
from scenarios.demo import DEMO_COORDINATOR_USERNAME, load_demo
from tests.browser.conftest import artifacts, chromium  # noqa: F401  (the browser fixtures)

# The live server reads through its own connection, so the data must be committed: a transactional test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 20


def test_demo_coordinator_changes_panjshirs_status_with_a_new_source_in_the_browser(request, live_server):
    browser = request.getfixturevalue("chromium")
    wait = WebDriverWait(browser, WAIT_SECONDS)
    # A transactional test run before this one flushed the rows the migrations seeded; put them back.
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)
    load_demo()
    panjshir = Region.objects.get(pcode="AF08")

    browser.get(f"{live_server.url}/admin/")
    wait.until(ec.presence_of_element_located((By.NAME, "username")))
    browser.find_element(By.NAME, "username").send_keys(DEMO_COORDINATOR_USERNAME)
    browser.find_element(By.NAME, "password").send_keys(settings.HUMTRACK_DEMO_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # Wait for what only a logged-in page has: the login page itself also has #content-main, so waiting
    # for that raced the login POST on a slow machine and the next page went back to the login form.
    wait.until(ec.presence_of_element_located((By.ID, "user-tools")))

    browser.get(f"{live_server.url}/admin/access/region/{panjshir.pk}/change/")
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "a.change-status-link"))).click()
    wait.until(ec.presence_of_element_located((By.ID, "change-status-form")))

    main_window = browser.current_window_handle
    browser.find_element(By.CSS_SELECTOR, ".field-source a.add-related").click()
    wait.until(ec.number_of_windows_to_be(2))
    browser.switch_to.window(next(h for h in browser.window_handles if h != main_window))
    wait.until(ec.presence_of_element_located((By.NAME, "publisher")))
    browser.find_element(By.NAME, "publisher").send_keys("OCHA Afghanistan")
    browser.find_element(By.NAME, "title").send_keys("Flash update: Panjshir road closed")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("agency_report")
    browser.find_element(By.NAME, "_save").click()
    wait.until(ec.number_of_windows_to_be(1))
    browser.switch_to.window(main_window)
    source = Select(browser.find_element(By.NAME, "source"))
    assert source.first_selected_option.text.startswith("OCHA Afghanistan: Flash update")

    Select(browser.find_element(By.NAME, "status")).select_by_value(AccessStatus.INACCESSIBLE)
    browser.find_element(By.NAME, "reason").send_keys("The road into the valley is closed")
    Select(browser.find_element(By.NAME, "confidence")).select_by_value("reported")
    browser.find_element(By.CSS_SELECTOR, "#change-status-form input[type=submit]").click()

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist")))
    assert "Unknown → Inaccessible" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    assert "The road into the valley is closed" in browser.find_element(By.CSS_SELECTOR, ".field-current_status").text
    browser.save_screenshot(str(request.getfixturevalue("artifacts") / "admin-change-status.png"))

    panjshir.refresh_from_db()
    assert panjshir.access_status == AccessStatus.INACCESSIBLE
    change = panjshir.current_status_change
    assert change.recorded_by.username == DEMO_COORDINATOR_USERNAME
    assert change.source == Source.objects.get(title="Flash update: Panjshir road closed")


def log_in(browser, wait, live_server):
    browser.get(f"{live_server.url}/admin/")
    wait.until(ec.presence_of_element_located((By.NAME, "username")))
    browser.find_element(By.NAME, "username").send_keys(DEMO_COORDINATOR_USERNAME)
    browser.find_element(By.NAME, "password").send_keys(settings.HUMTRACK_DEMO_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "user-tools")))


def test_the_regions_list_fits_a_1366_pixel_screen_without_horizontal_scrolling(request, live_server):
    browser = request.getfixturevalue("chromium")
    browser.set_window_size(1366, 768)
    wait = WebDriverWait(browser, WAIT_SECONDS)
    AffectedGroup.objects.bulk_create([AffectedGroup(code=code) for code in AffectedGroupCode], ignore_conflicts=True)
    load_demo()
    log_in(browser, wait, live_server)

    # The whole list, then Panjshir's province (the rows with a status, a basis and a long source).
    for query, screenshot in (("", "admin-regions-1366.png"), ("?province=AF08", "admin-regions-af08-1366.png")):
        browser.get(f"{live_server.url}/admin/access/region/{query}")
        wait.until(ec.presence_of_element_located((By.ID, "result_list")))
        width = browser.execute_script("return window.innerWidth")
        assert 1300 <= width <= 1366  # the viewport a 1,366 px screen gives a browser window
        overflow = browser.execute_script(
            """
            const table = document.getElementById('result_list');
            const box = table.closest('.results') || table.parentElement;
            return {
                table: table.scrollWidth, box: box.clientWidth,
                right: table.getBoundingClientRect().right, page: document.documentElement.scrollWidth,
                viewport: document.documentElement.clientWidth,
            };
            """
        )
        browser.save_screenshot(str(request.getfixturevalue("artifacts") / screenshot))
        assert overflow["table"] <= overflow["box"], overflow
        assert overflow["right"] <= overflow["viewport"] and overflow["page"] <= overflow["viewport"], overflow
    # What the columns say, as a coordinator reads them.
    text = browser.find_element(By.ID, "result_list").text
    assert "(inherited from Panjsher (AF08))" in text and "Unknown" in text  # the UN said it had no information
