"""Cursor pagination over (updated_at, id): pages of at most 1,000, no gaps or repeats while writes go on."""

import base64
import csv
import io
import json
import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from access.choices import AccessStatus, Confidence
from access.services import change_access_status
from humtrack.actor import SYSTEM
from needs.models import NeedFigure
from tests.factories import NeedFigureFactory, make_region

pytestmark = pytest.mark.django_db


def walk(client, url, params=None):
    """Follow `next` to the end; return the items seen and the last page's `resume` link."""
    seen, response = [], client.get(url, params or {})
    while True:
        body = response.json()
        seen += body["results"]
        if not body["next"]:
            return seen, body["resume"]
        response = client.get(body["next"])


def figures(tree, count, **fields):
    regions = [tree["AF0801"], tree["AF0806"], tree["AF0305"]]
    start = NeedFigure.objects.count()
    return [
        NeedFigureFactory(region=regions[i % 3], sector="FSC", period_start=f"{2000 + start + i}-01-01",
                          period_end=f"{2000 + start + i}-12-31", **fields)
        for i in range(count)
    ]  # fmt: skip


def test_pages_follow_updated_at_then_id_and_cover_everything_once(reader, tree):
    created = figures(tree, 25)
    seen, _ = walk(reader, "/api/v1/needs/", {"page_size": 10})
    assert [item["id"] for item in seen] == [f.pk for f in sorted(created, key=lambda f: (f.updated_at, f.pk))]


def test_ties_in_updated_at_are_broken_by_id(reader, tree):
    created = figures(tree, 7)
    NeedFigure.objects.update(updated_at=timezone.now() - timedelta(hours=1))  # all the same moment
    seen, _ = walk(reader, "/api/v1/needs/", {"page_size": 3})
    assert [item["id"] for item in seen] == sorted(f.pk for f in created)


def test_page_size_is_at_most_one_thousand(reader, tree):
    assert reader.get("/api/v1/needs/", {"page_size": 1000}).status_code == 200
    too_big = reader.get("/api/v1/needs/", {"page_size": 1001})
    assert too_big.status_code == 400 and "page_size" in too_big.json()["fields"]


def test_a_tampered_cursor_is_404(reader, tree):
    response = reader.get("/api/v1/needs/", {"cursor": "bm9wZQ"})
    assert response.status_code == 404 and response.json()["detail"] == "Invalid cursor."


def test_sync_while_writing_misses_nothing_and_repeats_only_what_changed(writer, tree):
    """A partner walks the pages while another partner updates some rows and adds others."""
    created = figures(tree, 30)
    NeedFigure.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    first = writer.get("/api/v1/needs/", {"page_size": 10}).json()
    seen = {item["id"]: item for item in first["results"]}
    changed_behind, changed_ahead = created[0], created[25]  # one already read, one not yet
    for figure in (changed_behind, changed_ahead):
        figure.reached = 99
        figure.save()
    added = figures(tree, 3)
    repeats, next_url = [], first["next"]
    while next_url:
        page = writer.get(next_url).json()
        for item in page["results"]:
            if item["id"] in seen:
                repeats.append(item["id"])
            seen[item["id"]] = item
        next_url = page["next"]
    everything = NeedFigure.objects.all()
    assert set(seen) == {f.pk for f in everything}  # no gap
    assert repeats == [changed_behind.pk]  # only the row changed behind the cursor comes again, changed
    assert seen[changed_behind.pk]["reached"] == 99 and seen[changed_ahead.pk]["reached"] == 99
    assert {f.pk for f in added} <= set(seen)


def test_resume_fetches_only_what_changed_since_the_last_sync(writer, tree):
    old = figures(tree, 5)
    NeedFigure.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    _, resume = walk(writer, "/api/v1/needs/")
    changed = old[2]
    changed.notes = "revised"
    changed.save()
    new = figures(tree, 2)
    later, _ = walk(writer, resume)
    assert {item["id"] for item in later} == {changed.pk, *(f.pk for f in new)}


def test_resume_stays_behind_slow_transactions_that_commit_older_rows(writer, tree):
    """A row saved a few seconds ago but committed just now (a long upload) is not jumped over."""
    figures(tree, 3)
    _, resume = walk(writer, "/api/v1/needs/")
    late = figures(tree, 1)[0]
    NeedFigure.objects.filter(pk=late.pk).update(updated_at=timezone.now() - timedelta(seconds=10))
    later, _ = walk(writer, resume)
    assert late.pk in {item["id"] for item in later}


def test_updated_since_and_the_cursor_combine_for_regions(reader, tree, source):
    make_region("AF0802", "Rukha", parent=tree["AF08"])
    cutoff = timezone.now()
    change_access_status(
        region=tree["AF0806"], status=AccessStatus.CONSTRAINED, reason="r", source=source,
        confidence=Confidence.REPORTED, actor=SYSTEM,
    )  # fmt: skip
    seen, _ = walk(reader, "/api/v1/regions/", {"updated_since": cutoff.isoformat(), "page_size": 1})
    assert [item["pcode"] for item in seen] == ["AF0806"]


def test_a_cursor_with_a_naive_time_is_read_as_utc(reader, tree):
    """A partner that builds its own cursor without an offset gets the rows after it, not a 500."""
    created = sorted(figures(tree, 4), key=lambda f: (f.updated_at, f.pk))
    first = created[0]
    naive = first.updated_at.astimezone(UTC).replace(tzinfo=None).isoformat()
    cursor = base64.urlsafe_b64encode(json.dumps([naive, first.pk]).encode()).decode().rstrip("=")
    response = reader.get("/api/v1/needs/", {"cursor": cursor})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [f.pk for f in created[1:]]


def links_of(response) -> dict[str, str]:
    """The `Link` header's URLs by rel (RFC 8288)."""
    return {rel: url for url, rel in re.findall(r'<([^>]*)>; rel="([^"]+)"', response.get("Link", ""))}


def csv_ids(response) -> set[int]:
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))[1:]  # the HXL row first
    return {int(row["id"]) for row in rows}


def test_a_csv_only_partner_syncs_with_the_link_header(writer, tree):
    """CSV pages carry `next` and `resume` in `Link`: a partner that reads only CSV walks and resumes."""
    old = figures(tree, 5)
    NeedFigure.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    response = writer.get("/api/v1/needs/", {"format": "csv", "page_size": 2})
    seen = set()
    while True:
        assert response["Content-Type"].startswith("text/csv")
        seen |= csv_ids(response)
        links = links_of(response)
        if "next" not in links:
            break
        response = writer.get(links["next"])
    assert seen == {f.pk for f in old}
    assert "format=csv" in links["resume"]
    changed = old[2]
    changed.notes = "revised"
    changed.save()
    later = writer.get(links["resume"])
    assert csv_ids(later) == {changed.pk}


def test_json_pages_carry_the_same_links_in_the_header(reader, tree):
    figures(tree, 3)
    NeedFigure.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    page = reader.get("/api/v1/needs/", {"page_size": 2})
    body = page.json()
    assert links_of(page) == {"next": body["next"], "resume": body["resume"]}
    last = reader.get(body["next"])
    assert links_of(last) == {"resume": last.json()["resume"]}
