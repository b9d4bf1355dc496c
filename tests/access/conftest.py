"""Fixtures the access tests share."""

import pytest
from django.test import override_settings

from tests.integration.test_alerts_harness import SmtpServer


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on loopback, and Django's SMTP backend pointed at it."""
    with (
        SmtpServer() as server,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=server.port
        ),
    ):
        yield server
