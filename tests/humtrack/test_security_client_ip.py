"""Login throttling counts the client's address, not the proxy's, and ignores what the client forged."""

from django.test import RequestFactory

from humtrack.security import client_ip_address

PROXY = "10.0.0.5"


def request(forwarded: str | None = None):
    headers = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/admin/login/", **headers)


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.HUMTRACK_TRUSTED_PROXIES = 0
    assert client_ip_address(request("203.0.113.9")) == PROXY


def test_behind_one_proxy_the_address_it_saw_counts_not_the_one_the_client_sent(settings):
    settings.HUMTRACK_TRUSTED_PROXIES = 1
    assert client_ip_address(request("203.0.113.9")) == "203.0.113.9"
    # The client sent "1.2.3.4" itself; the proxy appended the address it really came from.
    assert client_ip_address(request("1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_a_request_that_did_not_come_through_the_proxies_falls_back_to_the_peer(settings):
    settings.HUMTRACK_TRUSTED_PROXIES = 2
    assert client_ip_address(request("203.0.113.9")) == PROXY
    assert client_ip_address(request()) == PROXY
