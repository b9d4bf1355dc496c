"""Provides `is_pcode`: whether a text is shaped like a p-code (access.models.regions.PCODE_PATTERN).

The API asks it before the database: a path, a body or a filter naming something that is not even
shaped like a p-code is answered (a 404, a field error, no records) without a query.
"""

import re

from access.models.regions import PCODE_PATTERN

PCODE = re.compile(PCODE_PATTERN)


def is_pcode(text: str) -> bool:
    """True when `text`, as it stands (callers upper-case and trim it first), could be a p-code."""
    return PCODE.fullmatch(text) is not None
