"""ETags on records and `If-Match` on updates: a partner never overwrites a change it has not seen."""

import hashlib

from .exceptions import PreconditionFailed


def etag_for(instance) -> str:
    """A strong ETag from the record's identity and its last change."""
    stamp = getattr(instance, "updated_at", None)
    raw = f"{instance._meta.label}:{instance.pk}:{stamp.isoformat() if stamp else ''}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def check_if_match(request, instance) -> None:
    """412 when `If-Match` names neither the record's current ETag nor `*`. No header: no check."""
    header = request.headers.get("If-Match")
    if not header:
        return
    current = etag_for(instance)
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed()
