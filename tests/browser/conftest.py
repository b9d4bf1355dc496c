"""Headless Chromium from Debian's packages, driven by Selenium, for the browser tests.

`make browser-deps` (run by `make test`) installs /usr/bin/chromium and /usr/bin/chromedriver. Both are
named explicitly and SE_OFFLINE is set, so Selenium Manager never downloads a browser or a driver.
"""

from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.infrastructure import REQUIRE_SERVICES, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Date inputs take keys in the locale's order: month, day, year.
    "--lang=en-US",
    "--window-size=1280,1000",
]


@pytest.fixture
def chromium(tmp_path, monkeypatch):
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        message = f"{', '.join(missing)} missing; `make browser-deps` installs Debian's chromium and chromium-driver."
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER), port=free_port()), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests leave what a person may want to look at (screenshots)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
