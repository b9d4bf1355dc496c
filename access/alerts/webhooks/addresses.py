"""Which webhook URLs humtrack may POST to: the server-side request forgery (SSRF) rules.

An endpoint URL is a partner's, but the POST comes from inside the deployment: a URL that names (or
resolves to) a loopback, private, link-local or otherwise non-public address would let a partner reach
services that only humtrack can. Production requires `https://` and a public address, checked when the
endpoint is registered and again before every delivery (a name can be re-pointed after registration).
The laptop defaults (`make run`, the tests) allow `http://127.0.0.1:PORT`: WEBHOOKS_ALLOW_PRIVATE_URLS.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class UnsafeWebhookUrl(ValidationError):
    """The URL is not one humtrack may POST to; the message says why (shown to the partner)."""


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def resolve_host(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address the host resolves to now (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookUrl(_("The host %(host)s does not resolve.") % {"host": host}) from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check_webhook_url(url: str) -> None:
    """Raise UnsafeWebhookUrl unless humtrack may POST to `url` now (scheme, then every resolved address)."""
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_URLS
    parts = urlsplit(url)
    allowed_schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeWebhookUrl(_("A webhook URL must start with https://."))
    if not parts.hostname:
        raise UnsafeWebhookUrl(_("A webhook URL must name a host."))
    if parts.username or parts.password:
        raise UnsafeWebhookUrl(_("A webhook URL must not carry a user name or password."))
    if allow_private:
        return
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise UnsafeWebhookUrl(_("The port of the webhook URL is not a number from 1 to 65535.")) from exc
    addresses = resolve_host(parts.hostname, port)
    refused = [str(a) for a in addresses if not _is_public(a)]
    if refused or not addresses:
        raise UnsafeWebhookUrl(
            _("%(host)s resolves to an address that is not public (%(addresses)s): webhooks go to public hosts only.")
            % {"host": parts.hostname, "addresses": ", ".join(refused) or "none"}
        )
