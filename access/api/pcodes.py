"""Provides p-codes as the API takes them: `is_pcode`, the schema's `API_PCODE_PATTERN`, and
`region_for_parameter`, the one answer to a query parameter naming a region.

A p-code in the API is in any case (`af08` is AF08) and nothing else: no spaces around it. Its shape is
access.models.regions.PCODE_PATTERN's, any case; the schema states it (`API_PCODE_PATTERN`) on every
path, query and body p-code. A query parameter naming no region (`?within=AF99`) is a 400 naming the
parameter and the p-code, on every endpoint: an empty list would read as "nothing there". A path
naming no region stays a 404, a missing resource.
"""

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from access.models import Region
from access.models.regions import PCODE_PATTERN

PCODE = re.compile(PCODE_PATTERN)
# PCODE_PATTERN in any case: what the API takes (it upper-cases before looking up).
API_PCODE_PATTERN = r"^[A-Za-z]{2}[A-Za-z0-9]{0,18}$"
API_PCODE_SCHEMA = {"type": "string", "pattern": API_PCODE_PATTERN, "maxLength": 20, "title": "P-code"}
# The same, for a route (Django adds the anchors).
PCODE_PATH_REGEX = API_PCODE_PATTERN.removeprefix("^").removesuffix("$")


def is_pcode(text: str) -> bool:
    """True when `text`, upper-cased, could be a p-code."""
    return PCODE.fullmatch(text) is not None


def region_for_parameter(name: str, value: str) -> Region:
    """The region the query parameter `name` names by p-code `value` (any case); else a 400 naming both."""
    pcode = value.upper()
    if not is_pcode(pcode):
        message = _("“%(value)s” is not a p-code (two letters, then letters or digits; 20 at most).")
        raise ValidationError({name: [message % {"value": value}]})
    region = Region.objects.filter(pcode=pcode).first()
    if region is None:
        raise ValidationError({name: [_("No region with p-code %(pcode)s.") % {"pcode": pcode}]})
    return region


# For a serializer field or a filter that takes a p-code: the schema states its shape.
pcode_schema = extend_schema_field(API_PCODE_SCHEMA)


@pcode_schema
class PcodeField(serializers.CharField):
    """A p-code as text, checked where it is used (the bulk rows, the roll-up's `within`); the schema
    states its shape, and nothing around it is trimmed away."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
