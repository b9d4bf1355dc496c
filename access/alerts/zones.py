"""Time zones of alert subscriptions: IANA names, validated, and the default a region's country gives."""

from collections.abc import Iterable
from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from access.models.regions import PATH_SEPARATOR, Region

DEFAULT_TIME_ZONE = "UTC"


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in time_zone_names():
        raise ValidationError(
            _("%(value)s is not an IANA time zone name (such as Asia/Kabul)."), params={"value": value}, code="invalid"
        )


def default_time_zone(regions: Iterable[Region]) -> str:
    """The zone of the first followed region's country (Asia/Kabul for Afghanistan), else UTC."""
    for region in regions:
        country_pcode = region.path.split(PATH_SEPARATOR, 1)[0] if region.path else region.pcode
        zone = Region.objects.filter(pcode=country_pcode).values_list("time_zone", flat=True).first()
        if zone:
            return zone
    return DEFAULT_TIME_ZONE
