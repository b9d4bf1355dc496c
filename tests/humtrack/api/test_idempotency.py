"""Idempotency-Key: a retried POST gets the first response and changes nothing."""

import pytest

from access.models import AccessRestriction, StatusChange
from humtrack.models import IdempotencyKey
from needs.models import NeedFigure

pytestmark = pytest.mark.django_db


def restriction(source, **extra):
    return {
        "region": "AF0801", "category": "hostilities", "severity": "extreme", "affected_groups": ["all_aid_workers"],
        "starts_at": "2021-08-31T12:00:00Z", "source": source.pk, "confidence": "reported", **extra,
    }  # fmt: skip


def test_a_retried_post_returns_the_first_response_and_writes_once(writer, tree, source):
    first = writer.post("/api/v1/restrictions/", restriction(source), HTTP_IDEMPOTENCY_KEY="retry-1")
    retry = writer.post("/api/v1/restrictions/", restriction(source), HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"] and retry["ETag"] == first["ETag"]
    assert retry["Idempotent-Replayed"] == "true"
    assert AccessRestriction.objects.count() == 1


def test_a_status_change_retried_after_a_lost_response_is_not_recorded_twice(writer, tree, source):
    body = {"status": "inaccessible", "reason": "r", "source": source.pk, "confidence": "reported"}
    first = writer.post("/api/v1/regions/AF08/status-changes/", body, HTTP_IDEMPOTENCY_KEY="k")
    retry = writer.post("/api/v1/regions/AF08/status-changes/", body, HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == retry.status_code == 201  # not the 200 "no change" a new request would get
    assert StatusChange.objects.count() == 1


def test_a_bulk_upload_retried_is_not_applied_twice(writer, tree, source):
    rows = [{"region": "AF0801", "sector": "FSC", "period_start": "2021-01-01", "period_end": "2021-12-31",
             "people_in_need": 5, "source": source.pk, "confidence": "reported"}]  # fmt: skip
    first = writer.post("/api/v1/needs/bulk/", {"rows": rows}, HTTP_IDEMPOTENCY_KEY="upload-7")
    retry = writer.post("/api/v1/needs/bulk/", {"rows": rows}, HTTP_IDEMPOTENCY_KEY="upload-7")
    assert first.json() == retry.json() == {"created": 1, "updated": 0, "unchanged": 0, "warnings": []}
    assert NeedFigure.history.count() == 1


def test_the_same_key_for_a_different_request_is_422(writer, tree, source):
    writer.post("/api/v1/restrictions/", restriction(source), HTTP_IDEMPOTENCY_KEY="reused")
    response = writer.post("/api/v1/restrictions/", restriction(source, severity="low"), HTTP_IDEMPOTENCY_KEY="reused")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert AccessRestriction.objects.count() == 1


def test_keys_belong_to_their_organisation(writer, other_writer, tree, source):
    writer.post("/api/v1/restrictions/", restriction(source), HTTP_IDEMPOTENCY_KEY="shared-name")
    other = other_writer.post("/api/v1/restrictions/", restriction(source), HTTP_IDEMPOTENCY_KEY="shared-name")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert AccessRestriction.objects.count() == 2


def test_a_failed_request_keeps_no_key_and_can_be_corrected(writer, tree, source):
    bad = writer.post("/api/v1/restrictions/", restriction(source, severity="dire"), HTTP_IDEMPOTENCY_KEY="fix-me")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = writer.post("/api/v1/restrictions/", restriction(source), HTTP_IDEMPOTENCY_KEY="fix-me")
    assert fixed.status_code == 201


def test_without_a_key_every_post_is_new(writer, tree, source):
    writer.post("/api/v1/restrictions/", restriction(source))
    writer.post("/api/v1/restrictions/", restriction(source))
    assert AccessRestriction.objects.count() == 2
