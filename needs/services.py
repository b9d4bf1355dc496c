"""Every write of need figures."""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Region, Source
from access.policies import is_own_organisations
from humtrack.actor import Actor
from humtrack.bulk_insert import insert_new
from humtrack.history import copy_to_history
from humtrack.services import NOT_GIVEN, NotGiven, model_update, save_validated
from needs.models import NeedFigure
from needs.selectors import FIGURE_WARNINGS, figure_warnings
from needs.webhooks import announce_need_figures


def record_need_figure(
    *,
    actor: Actor,
    region: Region,
    sector: str,
    period_start: date,
    period_end: date,
    source: Source,
    confidence: str,
    people_in_need: int | None = None,
    targeted: int | None = None,
    reached: int | None = None,
    is_urgent: bool = False,
    notes: str = "",
    reason: str = "",
) -> NeedFigure:
    """A need figure for a region, sector and period. Counts may be left empty, never invented."""
    figure = NeedFigure(
        organisation=actor.organisation,
        region=region,
        sector=sector,
        people_in_need=people_in_need,
        targeted=targeted,
        reached=reached,
        period_start=period_start,
        period_end=period_end,
        is_urgent=is_urgent,
        notes=notes,
        source=source,
        confidence=confidence,
    )
    with transaction.atomic():
        save_validated(figure, actor=actor, reason=reason.strip() or "Need figure recorded")
        announce_need_figures(created=[figure])
    return figure


def update_need_figure(
    *,
    figure: NeedFigure,
    actor: Actor,
    reason: str = "",
    region: Region | NotGiven = NOT_GIVEN,
    sector: str | NotGiven = NOT_GIVEN,
    people_in_need: int | None | NotGiven = NOT_GIVEN,
    targeted: int | None | NotGiven = NOT_GIVEN,
    reached: int | None | NotGiven = NOT_GIVEN,
    period_start: date | NotGiven = NOT_GIVEN,
    period_end: date | NotGiven = NOT_GIVEN,
    is_urgent: bool | NotGiven = NOT_GIVEN,
    notes: str | NotGiven = NOT_GIVEN,
    source: Source | NotGiven = NOT_GIVEN,
    confidence: str | NotGiven = NOT_GIVEN,
) -> NeedFigure:
    """Change a need figure (`figure` as stored; the arguments given are the changes)."""
    data = {
        "region": region,
        "sector": sector,
        "people_in_need": people_in_need,
        "targeted": targeted,
        "reached": reached,
        "period_start": period_start,
        "period_end": period_end,
        "is_urgent": is_urgent,
        "notes": notes,
        "source": source,
        "confidence": confidence,
    }
    with transaction.atomic():
        if model_update(instance=figure, data=data, actor=actor, reason=reason.strip() or "Need figure updated"):
            announce_need_figures(updated=[figure])
    return figure


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row of a bulk upload: its position (from 0), the field, the message."""

    row: int
    field: str
    message: str


class InvalidRows(ValidationError):
    """Rows break the model's rules; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__([f"row {e.row}, {e.field}: {e.message}" for e in errors[:20]])
        self.row_errors = errors


class RowsOfAnotherOrganisation(PermissionDenied):
    """Rows would change figures another partner organisation recorded; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(_("Some rows would change figures recorded by another organisation."))
        self.row_errors = errors


@dataclass(frozen=True)
class RowWarning:
    """What one saved row of a bulk upload is flagged for: its position (from 0), the field, the code."""

    row: int
    field: str
    code: str
    message: str


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[RowWarning] = field(default_factory=list)


def row_warnings(figures: list[NeedFigure]) -> list[RowWarning]:
    """Each row's flags (needs.selectors.figure_warnings), named by the field that exceeds people in need."""
    return [
        RowWarning(row, code.split("_", 1)[0], code, str(FIGURE_WARNINGS[code]))
        for row, figure in enumerate(figures)
        for code in figure_warnings(
            people_in_need=figure.people_in_need, targeted=figure.targeted, reached=figure.reached
        )
    ]


UPSERT_KEY = ("region_id", "sector", "period_start", "period_end")
UPSERT_FIELDS = ("people_in_need", "targeted", "reached", "is_urgent", "notes", "source_id", "confidence")
BULK_BATCH_SIZE = 1000


def _key(figure: NeedFigure) -> tuple[object, ...]:
    return tuple(getattr(figure, name) for name in UPSERT_KEY)


def upsert_need_figures(*, figures: list[NeedFigure], actor: Actor, reason: str = "Bulk upload") -> UpsertResult:
    """Create or update many figures keyed by region, sector and period, all or nothing.

    `figures` are unsaved NeedFigure objects (region_id and source_id set). A partner organisation
    changes only figures it recorded (RowsOfAnotherOrganisation otherwise); rows breaking the model's
    rules raise InvalidRows naming each. Figures that would not change are left alone. Rows with
    targeted or reached above people in need are saved and named in the result's warnings. Every created
    or changed figure gets an audit-history row attributed to the actor. A few statements per 1,000 rows.
    """
    errors: list[RowError] = []
    first_row_of: dict[tuple[object, ...], int] = {}
    for row, figure in enumerate(figures):
        key = _key(figure)
        if key in first_row_of:
            errors.append(
                RowError(
                    row,
                    "non_field_errors",
                    _("Same region, sector and period as row %(row)s.") % {"row": first_row_of[key]},
                )
            )
        first_row_of.setdefault(key, row)
        try:
            figure.clean()  # the model's own rules (a period ends after it starts)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors += [RowError(row, field, message) for message in messages]
    if errors:
        raise InvalidRows(errors)

    now = timezone.now()
    with transaction.atomic():
        existing = {}
        # Narrowed on every part of the key: locking all periods of a region and sector would make an
        # upload's cost (and its locks) grow with years of stored figures, not with the upload.
        candidates = NeedFigure.objects.select_for_update().filter(
            region_id__in={figure.region_id for figure in figures},
            sector__in={figure.sector for figure in figures},
            period_start__in={figure.period_start for figure in figures},
        )
        for figure in candidates.only("id", "organisation_id", "created_at", *UPSERT_KEY, *UPSERT_FIELDS):
            if _key(figure) in first_row_of:
                existing[_key(figure)] = figure

        new, changed, foreign = [], [], []
        for row, figure in enumerate(figures):
            current = existing.get(_key(figure))
            if current is None:
                figure.organisation = actor.organisation
                new.append(figure)
            elif not is_own_organisations(actor, current):
                foreign.append(
                    RowError(row, "non_field_errors", _("This figure was recorded by another organisation."))
                )
            elif any(getattr(current, name) != getattr(figure, name) for name in UPSERT_FIELDS):
                figure.organisation_id = current.organisation_id
                changed.append((figure, current))
        if foreign:
            raise RowsOfAnotherOrganisation(foreign)

        insert_new(NeedFigure, new, now=now)
        # The changed rows are locked above: an upsert on the key updates exactly those.
        NeedFigure.objects.bulk_create(
            [figure for figure, _ in changed],
            batch_size=BULK_BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["region", "sector", "period_start", "period_end"],
            update_fields=[name.removesuffix("_id") for name in UPSERT_FIELDS] + ["updated_at"],
        )
        # The history is copied from the rows as stored: the created figures' ids came back from the insert.
        for pks, history_type in (([f.pk for f in new], "+"), ([current.pk for _, current in changed], "~")):
            copy_to_history(
                NeedFigure, pks, history_type=history_type, actor=actor, reason=reason, date=now,
                batch_size=BULK_BATCH_SIZE,
            )  # fmt: skip
        # One webhook event per created or changed figure, none for the unchanged (needs/webhooks.py),
        # built from the figures as saved: a changed one keeps its id and creation time.
        for figure, current in changed:
            figure.pk, figure.created_at = current.pk, current.created_at
        announce_need_figures(created=new, updated=[figure for figure, _ in changed])
    return UpsertResult(
        created=len(new),
        updated=len(changed),
        unchanged=len(figures) - len(new) - len(changed),
        warnings=row_warnings(figures),
    )
