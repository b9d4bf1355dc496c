"""Waiting on a page that may be navigating.

After a form is submitted, an element found on the old page can go stale before its attribute is read:
the browser has replaced the document between the two WebDriver calls. For a wait, that means "not yet",
the same as an element not found, so both are retried until the time runs out.
"""

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 20


def wait(driver, seconds: float = WAIT_SECONDS) -> WebDriverWait:
    return WebDriverWait(driver, seconds, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
