"""The situation page in a real browser: a district with no record of its own, under the demo's Panjshir.

Bazarak (AF0801) has no status record; Panjshir's is the UN's `unknown`. The map draws Bazarak hatched
in the Unknown colour (an SVG pattern the page defines), and its card names where the status comes from.
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.test_situation_page import (  # noqa: F401 (the fixture, shared)
    coordinator_on_the_page,
    css_colour,
    text_of,
)
from tests.browser.waiting import wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAZARAK = "AF0801"


def rgb(driver, colour: str) -> str:
    """A CSS colour as the browser computes it ("rgb(…)"), to compare with a computed fill."""
    script = "const probe = document.createElement('i'); probe.style.color = arguments[0];"
    script += "document.body.append(probe); const value = getComputedStyle(probe).color; probe.remove(); return value;"
    return driver.execute_script(script, colour)


def test_an_inherited_district_is_hatched_in_its_provinces_colour_and_its_card_says_whence(
    coordinator_on_the_page,  # noqa: F811
    artifacts,
):
    browser = coordinator_on_the_page
    bazarak = browser.find_element(By.CSS_SELECTOR, f"path.region-{BAZARAK}")
    assert bazarak.get_attribute("fill") == "url(#hatch-unknown)"
    assert "status-basis-inherited" in bazarak.get_attribute("class")
    # The pattern's stripes are drawn in the Unknown colour, on white.
    stripe = browser.find_element(By.CSS_SELECTOR, "#hatch-unknown .hatch-stripe")
    assert browser.execute_script("return getComputedStyle(arguments[0]).fill", stripe) == rgb(
        browser, css_colour(browser, "--status-unknown")
    )

    browser.find_element(By.CSS_SELECTOR, f"#region-{BAZARAK} button.region-link").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "details-region"), "Bazarak"))
    assert text_of(browser, "#details-status").startswith("Unknown — inherited from Panjsher (AF08)")
    assert "Recorded for\nPanjsher (AF08); none of its own" in text_of(browser, "#details-body")
    browser.find_element(By.ID, "map").screenshot(str(artifacts / "situation-inherited.png"))
