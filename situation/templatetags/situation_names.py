"""Template filters for the situation pages: a region's name in the reader's language."""

from django import template
from django.utils.translation import get_language

from access.models import Region

register = template.Library()


@register.filter
def local_name(region: Region | None) -> str:
    """The region's name in the active language (Dari, Pashto), or its English name where none is known."""
    if region is None:
        return ""
    return region.localised_name(get_language() or "en")
