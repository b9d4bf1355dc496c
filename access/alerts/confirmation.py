"""The double opt-in email of the public "get alerts" page: one link that confirms the request.

Nothing is stored before the person confirms: the request (address, p-codes, language, time zone,
mode) travels signed in the link (access.alerts.links.confirm_url) and in the task's argument.
The email is written in the language the person chose.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from access.models import Region

from . import links
from .emails import one_line

CONFIRM_MAX_AGE_DAYS = links.CONFIRM_MAX_AGE_SECONDS // (24 * 3600)


def requested_regions(request: dict) -> list[Region]:
    """The regions a request names that still exist, in the order it names them."""
    pcodes = list(request.get("pcodes", []))
    found = {region.pcode: region for region in Region.objects.filter(pcode__in=pcodes)}
    return [found[pcode] for pcode in pcodes if pcode in found]


def confirmation_message(request: dict, connection=None) -> EmailMultiAlternatives:
    """The email asking the address in `request` to confirm it, in the request's language."""
    language = request.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "confirm_url": links.confirm_url(request),
            "region_names": [region.localised_name(language) for region in requested_regions(request)],
            "max_age_days": CONFIRM_MAX_AGE_DAYS,
            "site_url": settings.SITE_URL,
        }
        message = EmailMultiAlternatives(
            subject=one_line(_("[humtrack] Confirm your access alerts")),
            body=render_to_string("alerts/email/confirm_subscription.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[request["email"]],
            headers={"Auto-Submitted": "auto-generated"},
            connection=connection,
        )
        message.attach_alternative(render_to_string("alerts/email/confirm_subscription.html", context), "text/html")
    return message


def send_confirmation(token: str) -> bool:
    """Send the confirmation of the signed request `token`; False (nothing sent) when it has expired or
    is not genuine (a message that waited in a queue past the link's expiry)."""
    request = links.confirmed_request(token)
    if request is None:
        return False
    confirmation_message(request).send()
    return True
