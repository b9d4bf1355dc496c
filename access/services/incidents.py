"""Access incidents: recorded with the groups they affect, changed, and imported in bulk from an upload's
rows, all or nothing (access.models.incidents)."""

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import record_webhook_event
from access.alerts.webhooks.payloads import incident_payload
from access.models import AccessRestriction, AffectedGroup, AidCorridor, Incident, Region, Source, UtilityOutage
from access.policies import can_change_region
from humtrack.actor import Actor
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated

from .restrictions import affected_group_rows


def _coordinate(value: float | Decimal | None) -> Decimal | None:
    """A coordinate as stored: five decimal places (about a metre), so that a float's binary tail
    (35.3 is 35.29999…) is not refused as more precise than the field holds."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.00001"))


def _groups(codes: Iterable[str]) -> list[AffectedGroup]:
    """An incident may name no affected group (the source does not say); a restriction must name one."""
    codes = list(codes)
    return affected_group_rows(codes) if codes else []


def record_incident(
    *,
    actor: Actor,
    region: Region,
    occurred_at: datetime,
    category: str,
    incident_type: str,
    source: Source,
    confidence: str,
    perpetrator_type: str = "unknown",
    occurred_until: datetime | None = None,
    reported_at: datetime | None = None,
    latitude: float | Decimal | None = None,
    longitude: float | Decimal | None = None,
    activities_suspended: bool | None = None,
    people_unable_to_receive_aid: int | None = None,
    aid_workers_affected: int | None = None,
    affected_groups: Iterable[str] = (),
    description: str = "",
    sensitivity: str = "partners",
    restriction: AccessRestriction | None = None,
    corridor: AidCorridor | None = None,
    outage: UtilityOutage | None = None,
    reason: str = "",
) -> Incident:
    """An incident in a region, on a source's word. Validated (a point inside the region's outline, not in
    the future, a type of its category) before it is saved."""
    groups = _groups(affected_groups)
    with transaction.atomic():
        incident = Incident(
            organisation=actor.organisation,
            region=region,
            occurred_at=occurred_at,
            occurred_until=occurred_until,
            reported_at=reported_at,
            latitude=_coordinate(latitude),
            longitude=_coordinate(longitude),
            category=category,
            incident_type=incident_type,
            perpetrator_type=perpetrator_type,
            activities_suspended=activities_suspended,
            people_unable_to_receive_aid=people_unable_to_receive_aid,
            aid_workers_affected=aid_workers_affected,
            description=description,
            sensitivity=sensitivity,
            restriction=restriction,
            corridor=corridor,
            outage=outage,
            source=source,
            confidence=confidence,
        )
        save_validated(incident, actor=actor, reason=reason.strip() or "Incident recorded")
        incident.affected_groups.set(groups)
        record_webhook_event(event_type=WebhookEventType.INCIDENT_CREATED, data=incident_payload(incident))
    return incident


def update_incident(
    *,
    incident: Incident,
    actor: Actor,
    reason: str = "",
    region: Region | NotGiven = NOT_GIVEN,
    occurred_at: datetime | NotGiven = NOT_GIVEN,
    occurred_until: datetime | None | NotGiven = NOT_GIVEN,
    reported_at: datetime | None | NotGiven = NOT_GIVEN,
    latitude: float | Decimal | None | NotGiven = NOT_GIVEN,
    longitude: float | Decimal | None | NotGiven = NOT_GIVEN,
    category: str | NotGiven = NOT_GIVEN,
    incident_type: str | NotGiven = NOT_GIVEN,
    perpetrator_type: str | NotGiven = NOT_GIVEN,
    activities_suspended: bool | None | NotGiven = NOT_GIVEN,
    people_unable_to_receive_aid: int | None | NotGiven = NOT_GIVEN,
    aid_workers_affected: int | None | NotGiven = NOT_GIVEN,
    affected_groups: Iterable[str] | NotGiven = NOT_GIVEN,
    description: str | NotGiven = NOT_GIVEN,
    sensitivity: str | NotGiven = NOT_GIVEN,
    restriction: AccessRestriction | None | NotGiven = NOT_GIVEN,
    corridor: AidCorridor | None | NotGiven = NOT_GIVEN,
    outage: UtilityOutage | None | NotGiven = NOT_GIVEN,
    source: Source | NotGiven = NOT_GIVEN,
    confidence: str | NotGiven = NOT_GIVEN,
) -> Incident:
    """Change an incident (`incident` as stored; the arguments given are the changes)."""
    groups = NOT_GIVEN if isinstance(affected_groups, NotGiven) else _groups(affected_groups)
    with transaction.atomic():
        data = {
            "region": region,
            "occurred_at": occurred_at,
            "occurred_until": occurred_until,
            "reported_at": reported_at,
            "latitude": latitude if isinstance(latitude, NotGiven) else _coordinate(latitude),
            "longitude": longitude if isinstance(longitude, NotGiven) else _coordinate(longitude),
            "category": category,
            "incident_type": incident_type,
            "perpetrator_type": perpetrator_type,
            "activities_suspended": activities_suspended,
            "people_unable_to_receive_aid": people_unable_to_receive_aid,
            "aid_workers_affected": aid_workers_affected,
            "affected_groups": groups,
            "description": description,
            "sensitivity": sensitivity,
            "restriction": restriction,
            "corridor": corridor,
            "outage": outage,
            "source": source,
            "confidence": confidence,
        }
        if model_update(instance=incident, data=data, actor=actor, reason=reason.strip() or "Incident updated"):
            record_webhook_event(event_type=WebhookEventType.INCIDENT_UPDATED, data=incident_payload(incident))
    return incident


# --- bulk import (a partner's monthly export, uploaded in the admin) ---------------------------------------

# The columns of an incident upload, in the order docs/admin.md lists them; `pcode`, `occurred_at`, `category`,
# `incident_type`, `source` and `confidence` must have a value, the rest may be empty.
IMPORT_COLUMNS = (
    "pcode", "occurred_at", "occurred_until", "reported_at", "latitude", "longitude", "category", "incident_type",
    "perpetrator_type", "activities_suspended", "people_unable_to_receive_aid", "aid_workers_affected",
    "affected_groups", "description", "sensitivity", "source", "confidence",
)  # fmt: skip
REQUIRED_COLUMNS = ("pcode", "occurred_at", "category", "incident_type", "source", "confidence")
TRUE, FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
# A model field's error goes to the column it was read from.
COLUMN_OF_FIELD = {"region": "pcode", NON_FIELD_ERRORS: "row"}
COLUMN_FIELD = {"pcode": "region"}


class IncidentImportError(ValidationError):
    """The rows of an upload that cannot be recorded, by row and column; nothing was saved.

    `rows` maps a row's number to {column: [messages]}; as a ValidationError its fields are
    "rows.<number>.<column>", the API's dotted names, so an API view can answer it as any 400.
    """

    def __init__(self, rows: dict[int, dict[str, list[str]]]):
        self.rows = rows
        named = {}
        for number, errors in rows.items():
            named.update({f"rows.{number}.{column}": messages for column, messages in errors.items()})
        super().__init__(named)


def _moment(text: str) -> datetime:
    """An ISO 8601 date-time (with its offset; UTC when it has none) or a date (its first moment, UTC)."""
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(_("A date (2021-09-01) or a date-time (2021-09-01T08:00:00Z)."))
        moment = datetime.combine(day, time.min)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _cells(row: Mapping[str, str | None], actor: Actor, sources: dict[int, Source]) -> dict[str, Any]:
    """A row's cells as record_incident's arguments; raises ValidationError naming the columns it cannot read."""
    errors: dict[str, list[str]] = {}
    arguments: dict[str, Any] = {}
    text = {column: (row.get(column) or "").strip() for column in IMPORT_COLUMNS}

    def read(column: str, convert: Callable[[str], Any]) -> None:
        if not text[column]:
            if column in REQUIRED_COLUMNS:
                errors[column] = [_("This column needs a value.")]
            return
        try:
            arguments[COLUMN_FIELD.get(column, column)] = convert(text[column])
        except (ValueError, ValidationError) as error:
            errors[column] = error.messages if isinstance(error, ValidationError) else [str(error)]

    def region(pcode: str) -> Region:
        found = Region.objects.filter(pcode=pcode.upper()).first()
        if found is None:
            raise ValueError(_("No region with p-code %(pcode)s.") % {"pcode": pcode})
        if not can_change_region(actor, found):
            raise ValueError(_("%(pcode)s is not among the regions assigned to you.") % {"pcode": found.pcode})
        return found

    def source(identifier: str) -> Source:
        found = sources.get(int(identifier)) if identifier.isdigit() else None
        if found is None:
            raise ValueError(_("No source with id %(id)s.") % {"id": identifier})
        return found

    def boolean(value: str) -> bool:
        if value.lower() in TRUE | FALSE:
            return value.lower() in TRUE
        raise ValueError(_("true or false (or leave it empty: not said)."))

    def count(value: str) -> int:
        if not value.isdigit():
            raise ValueError(_("A whole number, zero or more (or leave it empty: not said)."))
        return int(value)

    def coordinate(value: str) -> Decimal:
        # The model's validators name a latitude beyond ±90; this only keeps out what is no coordinate at all.
        try:
            number = Decimal(value)
        except ArithmeticError:
            number = Decimal("NaN")
        if not number.is_finite() or abs(number) > 180:
            raise ValueError(_("Decimal degrees, e.g. 35.3075 (or leave it empty)."))
        return number

    read("pcode", region)
    for column in ("occurred_at", "occurred_until", "reported_at"):
        read(column, _moment)
    read("latitude", coordinate)
    read("longitude", coordinate)
    for column in ("category", "incident_type", "perpetrator_type", "description", "sensitivity", "confidence"):
        read(column, str)
    read("activities_suspended", boolean)
    read("people_unable_to_receive_aid", count)
    read("aid_workers_affected", count)
    read("affected_groups", lambda value: [code.strip() for code in value.split(";") if code.strip()])
    read("source", source)
    if errors:
        raise ValidationError(errors)
    return arguments


def import_incidents(
    *, rows: Iterable[Mapping[str, str | None]], actor: Actor, reason: str = "", first_row: int = 1
) -> list[Incident]:
    """Record every row of an upload as an incident through record_incident (the same rules as one at a
    time), all or nothing: when any row is bad, nothing is saved and IncidentImportError lists every bad
    row's errors by column. Rows are numbered from `first_row` (2 for a CSV file under its header)."""
    rows = list(rows)
    unknown = sorted({column for row in rows for column in row if column not in IMPORT_COLUMNS and column})
    if unknown:
        message = _("Unknown column(s): %(columns)s.") % {"columns": ", ".join(unknown)}
        raise IncidentImportError({first_row - 1: {"columns": [message]}})
    # Ids a bigint holds (19 digits at most): a longer one is "no such source", not SQLite's OverflowError.
    identifiers = {
        cell.strip() for row in rows if (cell := row.get("source") or "").strip().isdigit() and len(cell.strip()) < 19
    }
    sources = Source.objects.in_bulk([int(identifier) for identifier in identifiers])
    recorded, bad_rows = [], {}
    with transaction.atomic():
        for number, row in enumerate(rows, start=first_row):
            try:
                # A savepoint per row: a bad row is rolled back alone, so the next rows are still checked
                # and every error is listed at once.
                with transaction.atomic():
                    recorded.append(
                        record_incident(actor=actor, reason=reason or "Incident upload", **_cells(row, actor, sources))
                    )
            except ValidationError as error:
                by_field = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
                bad_rows[number] = {COLUMN_OF_FIELD.get(field, field): messages for field, messages in by_field.items()}
        if bad_rows:
            raise IncidentImportError(bad_rows)  # rolls back the rows that were fine too
    return recorded
