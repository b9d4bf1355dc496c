"""Stable keyset cursor pagination over (updated_at, id), for listing and incremental sync; and
limit/offset pages, bounded, for lists read whole in another order (BoundedLimitOffsetPagination).

A cursor names the last row a partner has seen as (updated_at, id); the next page is the rows after
it in that order, so a page boundary never depends on an offset. A row changed while a partner walks
the pages moves to the end of the order and comes again with its new content; rows not yet reached
are read as they are when reached. Nothing is skipped.

One more trap: `updated_at` is set when a row is saved but becomes visible when its transaction
commits, so a slow transaction (a 10,000-row upload) can commit rows *older* than rows a partner has
already read. The `resume` link every page carries therefore never points later than
SYNC_SETTLE_SECONDS ago: a partner that stores `resume` and calls it next time may get the last few
seconds' rows again (upsert them by id), but never misses a row whose transaction took less than that.
"""

import base64
import binascii
import json
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def sync_settle_seconds() -> float:
    return settings.HUMTRACK_SYNC_SETTLE_SECONDS


def as_datetime(value) -> datetime:
    """A datetime, or the database's text for one (UTC)."""
    if isinstance(value, datetime):
        return value
    text = value.replace(" ", "T", 1)
    parsed = parse_datetime(text if text[-3] in "+-" or text.endswith("Z") else text + "+00:00")
    if parsed is None:
        raise ValueError(f"Not a date-time: {value!r}")
    return parsed


def encode_cursor(updated_at: datetime, pk: int) -> str:
    raw = json.dumps([updated_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        updated_at = parse_datetime(value)
        if updated_at is None or not isinstance(pk, int) or isinstance(pk, bool):
            raise ValueError(cursor)
        if timezone.is_naive(updated_at):
            updated_at = timezone.make_aware(updated_at, UTC)
        return updated_at, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise NotFound(_("Invalid cursor.")) from error


class UpdatedCursorPagination(BasePagination):
    """Pages ordered by (updated_at, id), oldest first: `?cursor=…&page_size=…` (≤ 1000).

    Response: {"next": url or null, "resume": url, "results": [...]}. Follow `next` until it is null;
    store `resume` and call it later to get what changed since. Both links are in the `Link` header too
    (`rel="next"`, `rel="resume"`), the only place a CSV page has for them.
    """

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    # The model fields of the order; a view may point at another pair (e.g. recorded_at for append-only rows).
    updated_field = "updated_at"

    def get_page_size(self, request) -> int:
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(highest)s.") % {"highest": self.max_page_size}
                    ]
                }
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.updated_field = getattr(view, "cursor_updated_field", self.updated_field)
        # Rows of a plain-values list say where they stand through the view (needs.api.views): (at, pk).
        self.position_of = getattr(view, "cursor_position", None)
        field = self.updated_field
        size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        queryset = queryset.order_by(field, "pk")
        if cursor:
            after_at, after_pk = decode_cursor(cursor)
            queryset = queryset.filter(Q(**{f"{field}__gt": after_at}) | Q(**{field: after_at, "pk__gt": after_pk}))
        # A view may read its page's rows itself (needs.api.views: each shape of query compiled once).
        rows = getattr(view, "page_rows", list)(queryset[: size + 1])
        self.has_next = len(rows) > size
        self.page = rows[:size]
        self.after = (after_at, after_pk) if cursor else None
        return self.page

    def _links(self, positions: dict[str, tuple | None]) -> dict[str, str]:
        """This page's URL with `cursor` at each position (none: without one), the parameters sorted as
        DRF's replace_query_param sorts them. The URL and its parameters are read once for all the links."""
        request = self.request
        base = request.build_absolute_uri(request.path)
        others = [(name, values) for name, values in request.query_params.lists() if name != self.cursor_query_param]
        links = {}
        for rel, position in positions.items():
            pairs = others if position is None else [*others, (self.cursor_query_param, [encode_cursor(*position)])]
            query = urlencode(sorted(pairs), doseq=True)
            links[rel] = f"{base}?{query}" if query else base
        return links

    def last_position(self):
        if self.page:
            last = self.page[-1]
            if self.position_of is not None:  # plain values (fast list paths), the date-time maybe as text
                at, pk = self.position_of(last)
                return as_datetime(at), pk
            return getattr(last, self.updated_field), last.pk
        return self.after

    def resume_position(self):
        """The last row seen, but no later than the settle horizon (see the module docstring)."""
        last = self.last_position()
        if last is None:
            return None
        horizon = (timezone.now() - timedelta(seconds=sync_settle_seconds()), 0)
        return min(last, horizon)

    def get_paginated_response(self, data):
        positions = {"next": self.last_position()} if self.has_next else {}
        positions["resume"] = self.resume_position()
        built = self._links(positions)
        next_link, resume_link = built.get("next"), built["resume"]
        # The links in a `Link` header too (RFC 8288), in every format: a CSV has nowhere else to carry them.
        links = {"next": next_link, "resume": resume_link}
        header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)
        return Response(
            OrderedDict([("next", next_link), ("resume", resume_link), ("results", data)]),
            headers={"Link": header},
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "resume", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "resume": {"type": "string", "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where to continue: the `next` or `resume` link gives it.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, at most {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# An offset beyond any list, and within what every database takes for OFFSET (a 64-bit integer).
MAX_OFFSET = 10**12


def _whole_number(value: str) -> int | None:
    """A whole number written in ASCII digits only (int() would take " 5", "+5", "1_000" and "٥")."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else None


class BoundedLimitOffsetPagination(BasePagination):
    """`?limit=…&offset=…`: `limit` rows (1 to `max_limit`, default `default_limit`) after `offset` rows.

    For lists in a fixed order other than (updated_at, id), read whole by offset (HDX HAPI's way). An
    offset counts rows as they are now: a list that changes while it is walked may shift by a row, so
    partners that sync use the cursor lists. Response: {"next": url or null, "results": [...]}; one
    row more than the page is read to know whether `next` is there, no count.
    """

    default_limit = DEFAULT_PAGE_SIZE
    max_limit = MAX_PAGE_SIZE
    max_offset = MAX_OFFSET
    limit_query_param = "limit"
    offset_query_param = "offset"

    def _number(self, request, name: str, default: int, lowest: int, highest: int) -> int:
        value = request.query_params.get(name)
        if value is None:
            return default
        number = _whole_number(value)
        if number is None or not lowest <= number <= highest:
            raise ValidationError(
                {
                    name: [
                        _("A whole number from %(lowest)s to %(highest)s.")
                        % {"lowest": lowest, "highest": f"{highest:,}"}
                    ]
                }
            )
        return number

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self._number(request, self.limit_query_param, self.default_limit, 1, self.max_limit)
        self.offset = self._number(request, self.offset_query_param, 0, 0, self.max_offset)
        rows = list(queryset[self.offset : self.offset + self.limit + 1])
        self.has_next = len(rows) > self.limit
        return rows[: self.limit]

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.limit_query_param, self.limit)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_paginated_response(self, data):
        next_link = self.get_next_link()
        return Response(
            OrderedDict([("next", next_link), ("results", data)]),
            headers={"Link": f'<{next_link}>; rel="next"'} if next_link else None,
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, at most {self.max_limit:,} (default {self.default_limit:,}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit, "default": self.default_limit},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "Rows to skip: the next page's offset is this one's plus its limit (`next` gives it).",
                "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset, "default": 0},
            },
        ]
