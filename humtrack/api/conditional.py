"""ETags on records, `If-Match` on updates and `If-None-Match` on reads (RFC 9110 §13.1).

A partner never overwrites a change it has not seen (`If-Match`, strong comparison: a weak `W/"…"` tag
never matches, §13.1.1), and re-reads a record it already holds for the price of a 304 (`If-None-Match`,
weak comparison, §13.1.2).
"""

import hashlib

from django.utils.http import parse_etags

from .exceptions import PreconditionFailed

WEAK = "W/"


def etag_for(instance) -> str:
    """A strong ETag from the record's identity and its last change."""
    stamp = getattr(instance, "updated_at", None)
    raw = f"{instance._meta.label}:{instance.pk}:{stamp.isoformat() if stamp else ''}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def check_if_match(request, instance) -> None:
    """412 unless `If-Match` is `*` or names the record's current ETag, strongly. No header: no check."""
    header = request.headers.get("If-Match")
    if not header:
        return
    tags = parse_etags(header)  # a weak tag keeps its W/ prefix, so it never equals a strong one
    if "*" not in tags and etag_for(instance) not in tags:
        raise PreconditionFailed()


def is_not_modified(request, instance) -> bool:
    """True when `If-None-Match` is `*` or names the record's current ETag, weakly (W/ ignored)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = {tag.removeprefix(WEAK) for tag in parse_etags(header)}
    return "*" in tags or etag_for(instance) in tags
