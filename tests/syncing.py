"""A partner that syncs one resource by the recipe of docs/api.md, and a clock tests can move.

    partner = SyncingPartner(reader, "regions", key="pcode").sync()
    ...  # anything that may change what the resource shows
    partner.sync().assert_holds_a_full_read()

The rule it checks (issue 11 §4): after each sync, the partner's copy, built only by applying the
pages of `resume` and of the deletion feed, is exactly what a full read of the resource gives.
"""

from datetime import timedelta

from django.utils import timezone

PAGE_SIZE = 1000


def walk(client, url, params=None):
    """Follow `next` to the end; return the items seen and the last page's `resume` link."""
    seen, response = [], client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen += body["results"]
        if not body["next"]:
            return seen, body["resume"]
        response = client.get(body["next"])


class SyncingPartner:
    """A copy of one resource kept only from `resume` links and /api/v1/deletions/, upserted by `key`."""

    def __init__(self, client, resource: str, *, key: str = "id"):
        self.client, self.resource, self.key = client, resource, key
        self.url = f"/api/v1/{resource}/"
        self.copy: dict[str, dict] = {}
        self.resume: str | None = None
        self.deletions_resume: str | None = None
        self.received: list[str] = []  # the keys the last sync brought (changed or new)

    def sync(self) -> "SyncingPartner":
        first = {"page_size": PAGE_SIZE}
        items, self.resume = walk(self.client, self.resume or self.url, None if self.resume else first)
        self.received = [str(item[self.key]) for item in items]
        for item in items:
            self.copy[str(item[self.key])] = item
        first = {"resource": self.resource, "page_size": PAGE_SIZE}  # then the deletion feed, the same way
        gone, self.deletions_resume = walk(
            self.client, self.deletions_resume or "/api/v1/deletions/", None if self.deletions_resume else first
        )
        for tombstone in gone:
            self.copy.pop(tombstone["id"], None)
        return self

    def full_read(self) -> dict[str, dict]:
        items, _ = walk(self.client, self.url, {"page_size": PAGE_SIZE})
        return {str(item[self.key]): item for item in items}

    def assert_holds_a_full_read(self) -> None:
        full = self.full_read()
        stale = {key: (self.copy.get(key), item) for key, item in full.items() if self.copy.get(key) != item}
        extra = set(self.copy) - set(full)
        assert not stale and not extra, f"{self.resource}: stale (copy, full read) {stale}; deleted but kept {extra}"


class Clock:
    """timezone.now() moved by an offset: every save, query and `resume` link of the test follows it.

    humtrack reads the time only through django.utils.timezone.now (no database NOW()), so moving it
    is moving time, with no sleeping.
    """

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)
