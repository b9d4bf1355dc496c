"""The partner workflow of docs/api.md, end to end, with the client generated from the served schema.

Issue 13: the client openapi-python-client generates (tests/contract/generation.py) runs the workflow
over real HTTP against pytest-django's live server: read regions, record a source, change a status
(and retry it), corridors, restrictions and outages with If-Match, need figures, incremental sync and
deletions, subscriptions, errors. Every answer must parse into the generated models, with nothing the
schema does not describe, and (tests/contract/conftest.py, when each test ends) match the served
schema's types and bounds: what fails either is a schema bug.
"""

import uuid
from datetime import UTC, date, datetime
from functools import partial
from urllib.parse import parse_qs, urlparse

import attrs
import pytest

from access.models import Region
from tests.factories import make_tree

pytestmark = pytest.mark.django_db(transaction=True)

SEPT_1 = datetime(2021, 9, 1, 8, tzinfo=UTC)
SEPT_2 = datetime(2021, 9, 2, 8, tzinfo=UTC)


def parsed(response, model):
    """The answer's body, parsed by the generated client into `model`, every field described by the schema."""
    assert isinstance(response.parsed, model), (response.status_code, response.content[:2000])
    undescribed = list(undescribed_fields(response.parsed, type(response.parsed).__name__))
    assert not undescribed, f"fields the schema does not describe: {undescribed}"
    return response.parsed


def undescribed_fields(value, where: str):
    """The fields of a parsed answer that landed in `additional_properties`: the server sent them undocumented."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from undescribed_fields(item, f"{where}[{index}]")
    elif attrs.has(type(value)):
        declared = [field.name for field in attrs.fields(type(value)) if field.name != "additional_properties"]
        if declared:  # a model with nothing but additional properties is a map (the error's `fields`)
            yield from (f"{where}.{name}" for name in value.additional_properties)
        for name in declared:
            yield from undescribed_fields(getattr(value, name), f"{where}.{name}")


def new_key() -> str:
    return str(uuid.uuid4())


def cursor_of(link: str) -> str | None:
    """A `next` or `resume` link's cursor: what the generated client needs to follow it (None: from the start)."""
    return parse_qs(urlparse(link).query).get("cursor", [None])[0]


def walk(operation, page_model, *, link: str | None = None, **params):
    """Follow `next` to the end as docs/api.md's sync recipe says, from the start or from a stored `resume`
    link; the items seen and the last page's `resume` link. A link carries the cursor and the filters given."""
    seen, cursor = [], cursor_of(link) if link else None
    given = {"cursor", "client", *params, *getattr(operation, "keywords", {})}
    while True:
        page = parsed(operation(**params, **({"cursor": cursor} if cursor else {})), page_model)
        seen += page.results
        for followed in filter(None, [page.next_, page.resume]):
            assert set(parse_qs(urlparse(followed).query)) <= given, followed
        if not page.next_:
            return seen, page.resume
        cursor = cursor_of(page.next_)


@pytest.fixture
def tree(seeded):
    return make_tree()


@pytest.fixture
def logistics(connect):
    """The Logistics Cluster's client, with read and write scopes, sending `Authorization: Bearer`."""
    return connect("Logistics Cluster", ["read", "write"])


@pytest.fixture
def source_id(partner_client, logistics) -> int:
    models, sources = partner_client.models, partner_client.api.sources
    body = models.SourceWriteRequest(
        publisher="OCHA", title="Flash update 3", kind=models.KindEnum.AGENCY_REPORT, published_at=SEPT_1
    )
    response = sources.sources_create.sync_detailed(client=logistics, body=body, idempotency_key=new_key())
    assert response.status_code == 201
    source = parsed(response, models.Source)
    found = sources.sources_list.sync_detailed(
        client=logistics, publisher="OCHA", kind=[models.SourcesListKindItem.AGENCY_REPORT]
    )
    assert [item.id for item in parsed(found, models.PaginatedSourceList).results] == [source.id]
    return source.id


def test_a_partner_reads_regions_with_filters_and_one_by_p_code_with_its_etag(partner_client, connect, tree):
    models, regions = partner_client.models, partner_client.api.regions
    for prefix in ("Bearer", "Token"):
        reader = connect(f"Reader ({prefix})", ["read"], prefix=prefix)

        first = regions.regions_list.sync_detailed(client=reader, within="AF08", page_size=2)
        page = parsed(first, models.PaginatedRegionList)
        assert [region.pcode for region in page.results] == ["AF08", "AF0801"]
        assert page.next_ and page.resume
        rest = regions.regions_list.sync(client=reader, within="AF08", page_size=2, cursor=cursor_of(page.next_))
        assert [region.pcode for region in rest.results] == ["AF0806"] and rest.next_ is None
        basis_none = [models.RegionsListStatusBasisItem.NONE]
        provinces = regions.regions_list.sync_detailed(client=reader, status_basis=basis_none, level=1)
        assert sorted(region.pcode for region in parsed(provinces, models.PaginatedRegionList).results) == [
            "AF03",
            "AF08",
        ]

        response = regions.regions_retrieve.sync_detailed("af08", client=reader)
        panjshir = parsed(response, models.Region)
        assert (panjshir.pcode, panjshir.status, panjshir.status_basis) == ("AF08", None, models.StatusBasisEnum.NONE)
        etag = response.headers["ETag"]
        again = regions.regions_retrieve.sync_detailed("AF08", client=reader, if_none_match=etag)
        assert again.status_code == 304 and again.headers["ETag"] == etag
        # CSV, which the generated models do not read (docs/api.md, Formats): through its httpx client.
        csv = reader.get_httpx_client().get("/api/v1/regions/", params={"format": "csv", "within": "AF08"})
        header, hashtags, *rows = csv.text.splitlines()
        assert csv.headers["Content-Type"].startswith("text/csv") and "pcode" in header.split(",")
        assert hashtags.startswith("#") and len(rows) == 3


def test_a_partner_records_a_status_change_once_and_a_retry_gets_the_replay(partner_client, logistics, tree, source_id):
    models, regions = partner_client.models, partner_client.api.regions
    change = models.StatusChangeWriteRequest(
        status=models.AccessStatusEnum.INACCESSIBLE, reason="Roads closed by fighting", source=source_id,
        confidence=models.ConfidenceEnum.REPORTED, effective_at=SEPT_1,
    )  # fmt: skip
    record, key = regions.regions_status_changes_create.sync_detailed, new_key()

    first = record("AF08", client=logistics, body=change, idempotency_key=key)
    retry = record("AF08", client=logistics, body=change, idempotency_key=key)
    same = record("AF08", client=logistics, body=change, idempotency_key=new_key())

    assert first.status_code == 201
    recorded = parsed(first, models.StatusChange)
    assert (recorded.region, recorded.from_status) == ("AF08", None)
    assert recorded.to_status == models.AccessStatusEnum.INACCESSIBLE
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert parsed(retry, models.StatusChange).id == recorded.id
    assert same.status_code == 200 and parsed(same, models.NoChange).changed is False
    other = models.StatusChangeWriteRequest.from_dict({**change.to_dict(), "reason": "Another request"})
    reused = record("AF08", client=logistics, body=other, idempotency_key=key)
    assert reused.status_code == 422
    assert parsed(reused, models.Error).code == models.ErrorCodeEnum.IDEMPOTENCY_KEY_REUSED
    history = regions.regions_status_history_list.sync_detailed("AF08", client=logistics)
    assert [item.id for item in parsed(history, models.PaginatedStatusChangeList).results] == [recorded.id]
    # Bazarak inherits it: the region list shows it, filtered by the effective status.
    inaccessible = [models.RegionsListStatusItem.INACCESSIBLE]
    listed = regions.regions_list.sync_detailed(client=logistics, status=inaccessible, within="AF08")
    bazarak = {region.pcode: region for region in parsed(listed, models.PaginatedRegionList).results}["AF0801"]
    assert (bazarak.status_basis, bazarak.status_from) == (models.StatusBasisEnum.INHERITED, "AF08")


def test_a_partner_opens_a_corridor_and_closes_it(partner_client, logistics, tree, source_id):
    models, corridors = partner_client.models, partner_client.api.corridors
    corridor = models.CorridorWriteRequest(
        name="Kabul – Bazarak", regions=["AF03", "AF0305", "AF08", "AF0801"], status=models.CorridorStatusEnum.OPEN,
        source=source_id, confidence=models.ConfidenceEnum.CONFIRMED, last_verified_at=SEPT_1,
    )  # fmt: skip
    created = corridors.corridors_create.sync_detailed(client=logistics, body=corridor, idempotency_key=new_key())
    assert created.status_code == 201
    corridor_id = parsed(created, models.Corridor).id

    closing = models.CorridorStatusWriteRequest(
        status=models.CorridorStatusEnum.CLOSED, reason="Checkpoint at the gorge", source=source_id,
        confidence=models.ConfidenceEnum.REPORTED, effective_at=SEPT_2,
    )  # fmt: skip
    change = corridors.corridors_status_changes_create.sync_detailed
    closed = change(corridor_id, client=logistics, body=closing, idempotency_key=new_key())
    unchanged = change(corridor_id, client=logistics, body=closing, idempotency_key=new_key())

    assert closed.status_code == 201
    recorded = parsed(closed, models.CorridorStatusChange)
    assert (recorded.corridor, recorded.from_status, recorded.to_status) == (corridor_id, "open", "closed")
    assert unchanged.status_code == 200 and parsed(unchanged, models.NoChange).changed is False
    now = parsed(corridors.corridors_retrieve.sync_detailed(corridor_id, client=logistics), models.Corridor)
    assert (now.status, now.origin, now.destination) == (models.CorridorStatusEnum.CLOSED, "AF03", "AF0801")


def test_a_partner_updates_restrictions_and_outages_with_if_match_and_a_stale_etag_is_refused(
    partner_client, logistics, tree, source_id
):
    models, api = partner_client.models, partner_client.api
    restriction = models.RestrictionWriteRequest(
        region="AF08", category=models.CategoryEnum.MOVEMENT_RESTRICTIONS, severity=models.SeverityEnum.HIGH,
        affected_groups=[models.AffectedGroupsEnum.WOMEN_AID_WORKERS], starts_at=SEPT_1, source=source_id,
        confidence=models.ConfidenceEnum.REPORTED,
    )  # fmt: skip
    outage = models.OutageWriteRequest(
        region="AF08", utility=models.UtilityEnum.INTERNET, started_at=SEPT_1, source=source_id,
        confidence=models.ConfidenceEnum.CONFIRMED,
    )  # fmt: skip
    lifted = models.PatchedRestrictionWriteRequest(ends_at=SEPT_2, reason="Lifted")
    restored = models.PatchedOutageWriteRequest(restored_at=SEPT_2, reason="Restored")
    for model, page_model, resource, body, change in [
        (models.Restriction, models.PaginatedRestrictionList, api.restrictions, restriction, lifted),
        (models.Outage, models.PaginatedOutageList, api.outages, outage, restored),
    ]:
        name = resource.__name__.rpartition(".")[2]
        create, retrieve = getattr(resource, f"{name}_create"), getattr(resource, f"{name}_retrieve")
        update = getattr(resource, f"{name}_partial_update")
        created = create.sync_detailed(client=logistics, body=body, idempotency_key=new_key())
        assert created.status_code == 201, name
        record, etag = parsed(created, model), created.headers["ETag"]
        assert record.is_active, name
        active = getattr(resource, f"{name}_list").sync_detailed(client=logistics, active=True, within="AF")
        assert [item.id for item in parsed(active, page_model).results] == [record.id], name
        assert retrieve.sync_detailed(record.id, client=logistics).headers["ETag"] == etag, name

        updated = update.sync_detailed(record.id, client=logistics, body=change, if_match=etag)
        assert updated.status_code == 200, name
        assert parsed(updated, model).is_active is False and updated.headers["ETag"] != etag, name
        stale = update.sync_detailed(record.id, client=logistics, body=change, if_match=etag)
        assert stale.status_code == 412, name
        assert parsed(stale, models.Error).code == models.ErrorCodeEnum.PRECONDITION_FAILED, name
        inactive = getattr(resource, f"{name}_list").sync_detailed(client=logistics, active=True, within="AF")
        assert parsed(inactive, page_model).results == [], name


def test_a_partner_reports_need_figures_one_by_one_and_in_bulk_and_reads_the_roll_ups_and_hapi(
    partner_client, logistics, tree, source_id
):
    models, needs = partner_client.models, partner_client.api.needs
    fsc, hea = models.SectorEnum.FSC, models.SectorEnum.HEA
    year = {"period_start": date(2021, 1, 1), "period_end": date(2021, 12, 31), "source": source_id}
    confirmed, reported = models.ConfidenceEnum.CONFIRMED, models.ConfidenceEnum.REPORTED
    figure = models.NeedFigureWriteRequest(
        region="AF08", sector=fsc, people_in_need=90000, targeted=60000, confidence=confirmed, **year
    )
    created = needs.needs_create.sync_detailed(client=logistics, body=figure, idempotency_key=new_key())
    assert created.status_code == 201 and parsed(created, models.NeedFigure).warnings == []
    figure.reached = 95000  # PUT with If-Match: saved, and flagged
    figure_id, etag = parsed(created, models.NeedFigure).id, created.headers["ETag"]
    updated = needs.needs_update.sync_detailed(figure_id, client=logistics, body=figure, if_match=etag)
    assert parsed(updated, models.NeedFigure).warnings == [models.NeedFigureWarningEnum.REACHED_EXCEEDS_PEOPLE_IN_NEED]
    figure.reached = 30000
    updated = needs.needs_update.sync_detailed(
        figure_id, client=logistics, body=figure, if_match=updated.headers["ETag"]
    )
    assert parsed(updated, models.NeedFigure).reached == 30000
    rows = [
        models.BulkRowRequest(
            region="AF0801", sector=fsc, people_in_need=20000, targeted=25000, reached=3000, confidence=reported, **year
        ),
        models.BulkRowRequest(region="AF0801", sector=hea, people_in_need=12000, confidence=confirmed, **year),
    ]
    wrong = models.BulkRowRequest.from_dict({**rows[1].to_dict(), "region": "AF9999"})
    invalid = needs.needs_bulk_create.sync_detailed(
        client=logistics, body=models.BulkUploadRequest(rows=[*rows, wrong])
    )
    error = parsed(invalid, models.Error)
    assert (invalid.status_code, error.code) == (400, models.ErrorCodeEnum.INVALID_ROWS)
    assert [(row.row, row.field) for row in error.rows] == [(2, "region")]
    upload = models.BulkUploadRequest(rows=rows)
    result = parsed(
        needs.needs_bulk_create.sync_detailed(client=logistics, body=upload, idempotency_key=new_key()),
        models.BulkResult,
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert [(warning.row, warning.field, warning.code) for warning in result.warnings] == [
        (0, "targeted", "targeted_exceeds_people_in_need")
    ]

    summary = parsed(needs.needs_summary_retrieve.sync_detailed(client=logistics, within="AF08"), models.NeedsSummary)
    food = {rollup.sector: rollup for rollup in summary.sectors}["FSC"].metrics.people_in_need
    assert (food.value, food.rule, food.lower_bound) == (90000, models.RuleEnum.REPORTED, False)
    assert food.children_sum.value == 20000
    assert summary.intersectoral.people_in_need.value == 90000

    hapi_page = needs.needs_hapi_list.sync_detailed(client=logistics, admin1_code="AF08")
    hapi = parsed(hapi_page, models.PaginatedHapiNeedList)
    rows_seen = {(row.admin2_code, row.sector_code, row.population_status, row.population) for row in hapi.results}
    inn, tgt, rea = models.PopulationStatusEnum.INN, models.PopulationStatusEnum.TGT, models.PopulationStatusEnum.REA
    assert rows_seen == {
        (None, fsc, inn, 90000), (None, fsc, tgt, 60000), (None, fsc, rea, 30000),
        ("AF0801", fsc, inn, 20000), ("AF0801", fsc, tgt, 25000), ("AF0801", fsc, rea, 3000),
        ("AF0801", hea, inn, 12000),
    }  # fmt: skip
    assert hapi.next_ is None
    too_many = needs.needs_hapi_list.sync_detailed(client=logistics, limit=10_001)
    assert too_many.status_code == 400 and list(parsed(too_many, models.Error).fields.additional_properties) == [
        "limit"
    ]


def test_a_partner_syncs_incrementally_through_the_resume_link_and_the_deletions_feed(
    partner_client, logistics, tree, source_id
):
    models, api = partner_client.models, partner_client.api
    regions = partial(api.regions.regions_list.sync_detailed, client=logistics)
    deletions = partial(
        api.deletions.deletions_list.sync_detailed, client=logistics, resource=models.DeletionsListResource.REGIONS
    )
    copy, resume = walk(regions, models.PaginatedRegionList, page_size=2)  # several pages: the walk follows `next`
    assert sorted(region.pcode for region in copy) == sorted(Region.objects.values_list("pcode", flat=True))
    _, deletions_resume = walk(deletions, models.PaginatedTombstoneList, page_size=2)

    change = models.StatusChangeWriteRequest(
        status=models.AccessStatusEnum.CONSTRAINED, reason="Checkpoints", source=source_id,
        confidence=models.ConfidenceEnum.REPORTED, effective_at=SEPT_1,
    )  # fmt: skip
    recorded = api.regions.regions_status_changes_create.sync_detailed("AF03", client=logistics, body=change)
    assert recorded.status_code == 201
    Region.objects.get(pcode="AF0806").delete()  # an administrator removes Shutul

    changed, _ = walk(regions, models.PaginatedRegionList, link=resume, page_size=2)
    gone, _ = walk(deletions, models.PaginatedTombstoneList, link=deletions_resume, page_size=2)

    since = {region.pcode: region for region in changed}
    assert {"AF03", "AF0305"} <= set(since)  # Jabal Saraj inherits Parwan's new status
    assert since["AF0305"].status == models.AccessStatusEnum.CONSTRAINED
    assert [(tombstone.resource, tombstone.id) for tombstone in gone] == [("regions", "AF0806")]
    by_date, _ = walk(regions, models.PaginatedRegionList, updated_since=since["AF03"].updated_at, page_size=2)
    assert "AF03" in {region.pcode for region in by_date}


def test_a_partner_manages_alert_subscriptions_with_the_alerts_scope(partner_client, connect, tree):
    models, api = partner_client.models, partner_client.api
    subscriptions = api.subscriptions
    alerts = connect("Logistics Cluster", ["read", "alerts"], prefix="Token")
    writer = connect("Logistics Cluster", ["read", "write"])
    body = models.SubscriptionWriteRequest(
        email="duty.officer@example.org", regions=["AF08"], trigger=models.TriggerEnum.CROSSING,
        threshold_status=models.ThresholdStatusEnum.INACCESSIBLE,
    )  # fmt: skip

    refused = subscriptions.subscriptions_create.sync_detailed(client=writer, body=body)
    created = subscriptions.subscriptions_create.sync_detailed(client=alerts, body=body, idempotency_key=new_key())

    assert refused.status_code == 403 and parsed(refused, models.Error).code == models.ErrorCodeEnum.PERMISSION_DENIED
    assert created.status_code == 201
    subscription = parsed(created, models.Subscription)
    read = subscriptions.subscriptions_retrieve.sync_detailed(subscription.id, client=alerts)
    assert parsed(read, models.Subscription).threshold_status == models.ThresholdStatusEnum.INACCESSIBLE
    listed = parsed(subscriptions.subscriptions_list.sync_detailed(client=alerts), models.PaginatedSubscriptionList)
    assert [item.id for item in listed.results] == [subscription.id]
    change = models.PatchedSubscriptionWriteRequest(trigger=models.TriggerEnum.ANY, threshold_status=None)
    updated = subscriptions.subscriptions_partial_update.sync_detailed(
        subscription.id, client=alerts, body=change, if_match=read.headers["ETag"]
    )
    assert parsed(updated, models.Subscription).threshold_status is None
    stopped = subscriptions.subscriptions_destroy.sync_detailed(subscription.id, client=alerts)
    assert stopped.status_code == 204
    after = subscriptions.subscriptions_retrieve.sync_detailed(subscription.id, client=alerts)
    assert parsed(after, models.Error).code == models.ErrorCodeEnum.NOT_FOUND
    # Deleted, it leaves the list and comes through the deletions feed, which needs `alerts`.
    synced, _ = walk(
        partial(subscriptions.subscriptions_list.sync_detailed, client=alerts),
        models.PaginatedSubscriptionList,
        link=listed.resume,
    )
    assert synced == []
    feed = partial(api.deletions.deletions_list.sync_detailed, resource=models.DeletionsListResource.SUBSCRIPTIONS)
    assert [tombstone.id for tombstone in parsed(feed(client=alerts), models.PaginatedTombstoneList).results] == [
        str(subscription.id)
    ]
    assert parsed(feed(client=writer), models.Error).code == models.ErrorCodeEnum.PERMISSION_DENIED


def test_an_invalid_request_is_the_one_error_shape_parsed_into_the_generated_error_model(
    partner_client, connect, logistics, tree, source_id
):
    models, api = partner_client.models, partner_client.api
    future = models.StatusChangeWriteRequest(
        status=models.AccessStatusEnum.ACCESSIBLE, reason="Reopened", source=source_id,
        confidence=models.ConfidenceEnum.REPORTED, effective_at=datetime(2999, 1, 1, tzinfo=UTC),
    )  # fmt: skip

    refused = api.regions.regions_status_changes_create.sync_detailed("AF08", client=logistics, body=future)
    unknown = api.regions.regions_retrieve.sync_detailed("AF99", client=logistics)
    anonymous = connect(None)
    no_token = api.regions.regions_list.sync_detailed(client=anonymous)

    assert refused.status_code == 400
    error = parsed(refused, models.Error)
    assert (error.status, error.code) == (400, models.ErrorCodeEnum.INVALID)
    assert list(error.fields.additional_properties) == ["effective_at"]
    assert parsed(unknown, models.Error).code == models.ErrorCodeEnum.NOT_FOUND
    assert no_token.status_code == 401 and parsed(no_token, models.Error).code == models.ErrorCodeEnum.NOT_AUTHENTICATED
