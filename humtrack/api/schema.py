"""drf-spectacular: the token scheme, the shared error responses and headers of every operation.

`PartnerAutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) documents, for every operation, the
error shape (humtrack.api.exceptions) under 400/401/403/404/405/406/429/500/503 (413 and 415 where a
body is taken), `Idempotency-Key` with 409/422 on POST, `If-Match` with 412 on PUT/PATCH, and uses a
view's `write_serializer_class` for request bodies. The error's `code` is an enum of ErrorCode (the
`ErrorCodeEnum` component).

It also declares the headers the server sends (`response_headers`), by what the view is rather than
view by view, so a new resource gets them for free: `ETag` on a record read, created or updated,
`Location` on a created one, `Idempotent-Replayed` on a POST's success, `Link` on a page,
`Retry-After` on 429 and 503, `WWW-Authenticate` on 401 and `Allow` on 405.
tests/humtrack/api/test_schema_headers.py sends a request of each kind and checks every such header it
gets back is declared.

And it states the bounds the server keeps, so a schema-valid request is never refused for a rule the
schema does not state (tests/humtrack/api/test_schema.py): query values' length and repeats
(humtrack.api.query), integer filters' range, path ids within a bigint, text without NUL (and not blank
where blank is refused), a nested list's length, and `additionalProperties: false` where a serializer
says it is `closed`.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .exceptions import ErrorCode

MAX_ID = 2**63 - 1  # the largest key a bigint column holds
# Text that may be blank: drf-spectacular adds "" as its own alternative (oneOf), so the pattern is of the rest.
TEXT_PATTERN = r"^[^\x00]+$"
# Python's whitespace (str.strip, which DRF trims with), spelled out: `\s` means another set in a
# schema's (ECMA 262) patterns than in Python's.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NON_BLANK_TEXT_PATTERN = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The same partner key, sent either way: `Token <key>` (partnerToken) or `Bearer <key>` (partnerBearer)."""

    target_class = "humtrack.api.authentication.TokenAuthentication"
    name = ["partnerToken", "partnerBearer"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # either one (OR), not both

    def get_security_definition(self, auto_schema):
        issue = "`python manage.py issue_token <organisation> --scopes read,write`"
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": f"`Token <key>`; {issue}.",
            },
            {"type": "http", "scheme": "bearer", "description": f"`Bearer <key>`: the same key; {issue}."},
        ]


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Position of the row in the request, from 0.")
    field = serializers.CharField(help_text="The field at fault, or `non_field_errors`.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers has this shape."""

    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.ChoiceField(
        choices=ErrorCode.choices, help_text="A stable machine code to program against (humtrack.api.exceptions)."
    )
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    # A declared field named `fields`: DRF's metaclass pops declared fields off the class, so it does not
    # shadow Serializer.fields at run time; the stubs cannot see that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400: the messages per field (nested fields as `a.b`, list items as `a.0`).",
    )
    rows = RowErrorSerializer(many=True, required=False, help_text="Bulk uploads: the invalid rows.")
    existing = serializers.IntegerField(
        required=False, help_text="409: the id of the record the request would duplicate (read or update that one)."
    )


ERRORS_EVERYWHERE = {
    "400": "Invalid parameters or body; `fields` names each one.",
    "401": "No valid token (`Authorization: Token <key>` or `Bearer <key>`).",
    "403": "The token lacks the scope, or the record belongs to another organisation.",
    "404": "No such record (or an invalid cursor, or a format this resource does not offer).",
    # A method the path does not take; the schema lists those it does (and the answer's `Allow`).
    "405": "The path does not take this method; `Allow` lists those it does.",
    "406": "No format the Accept header allows.",
    # Checked on the declared Content-Length of any request, before a view runs (humtrack.security).
    "413": "The request body is larger than the server accepts (send fewer rows per request).",
    "429": "Too many requests for this token (without a valid token: from this address); retry after "
    "`Retry-After` seconds.",
    "500": "An unexpected error on the server; it is logged: report it with the response's X-Request-ID.",
    "503": "The database is busy; retry after `Retry-After` seconds.",
}
ERRORS_WITH_A_BODY = {
    "415": "The body is not JSON (send `Content-Type: application/json`).",
}
ERRORS_ON_POST = {
    "409": "Conflicts with the records as they now are.",
    "422": "This Idempotency-Key was already used for a different request.",
}
ERRORS_ON_UPDATE = {
    "409": "Conflicts with the records as they now are.",
    "412": "If-Match names an older version of the record.",
}

CSV_SCHEMA = {
    "type": "string",
    "description": "CSV: a header row, then a row of HXL hashtags (#adm1+code, #sector, #inneed, …), then the "
    "records. Cells that a spreadsheet would run as a formula start with an apostrophe.",
}
FEATURE_SCHEMA = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": {
            "type": "object",
            "nullable": True,
            "description": "A Point (a region's centroid) or a LineString (a corridor through its regions' "
            "centroids); null where the centroids are not known.",
            "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
        },
        "properties": {"type": "object", "description": "The record, as in the JSON format."},
    },
}
FEATURE_COLLECTION_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
        "next": {"type": "string", "nullable": True, "format": "uri"},
        "resume": {"type": "string", "nullable": True, "format": "uri"},
    },
}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "maxLength": 255},
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID). A retried POST with the same key and body returns the first "
    "response again (with `Idempotent-Replayed: true`) and changes nothing.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag you read (a strong tag: `W/"…"` never matches). If the record has changed since, '
    "the update is refused with 412.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the copy you hold. If the record has not changed since, 304 with no body.",
)
NOT_MODIFIED = {"description": "Not modified: the record's ETag is the one `If-None-Match` names; no body."}


def response_header(description: str, schema: dict | None = None, *, required: bool = True) -> dict:
    return {"description": description, "required": required, "schema": schema or {"type": "string"}}


ETAG = response_header(
    'The record\'s version, a strong tag (`"…"`): send it in `If-Match` to update, in `If-None-Match` to re-read.',
    {"type": "string", "pattern": '^"[^"]*"$'},
)
LOCATION = response_header("The new record's URL.", {"type": "string", "format": "uri"})
IDEMPOTENT_REPLAYED = response_header(
    "`true` when this is the stored answer to an earlier request with the same Idempotency-Key (nothing "
    "was written again); absent on the first answer.",
    {"type": "string", "enum": ["true"]},
    required=False,
)
LINK_CURSOR = response_header(
    'RFC 8288: `<…>; rel="next"` (absent on the last page) and `<…>; rel="resume"`, the same links as the '
    "body's `next` and `resume`: a CSV page carries them only here."
)
LINK_OFFSET = response_header('RFC 8288: `<…>; rel="next"`; absent on the last page.', required=False)
RETRY_AFTER = response_header("Seconds to wait before sending the request again.", {"type": "integer", "minimum": 0})
WWW_AUTHENTICATE = response_header('The schemes the API takes: `Token realm="api", Bearer realm="api"`.')
ALLOW = response_header("The methods the path takes.")


class PartnerAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "query":
                self._bound_query_parameter(parameter)
            elif parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                # An id: a database's 64-bit key (a larger number is a 400, not a missing record).
                parameter["schema"].update(minimum=1, maximum=MAX_ID)
        return operation

    def _bound_query_parameter(self, parameter: dict) -> None:
        """State what the server refuses of a query parameter (humtrack.api.query): its length, its
        repeats, and an integer filter's type and range (django-filter's are documented as numbers)."""
        from .filters import IntegerFilter
        from .query import MAX_REPEATS, MAX_VALUE_LENGTH

        schema = parameter["schema"]
        filterset_class = getattr(self.view, "filterset_class", None)
        declared = filterset_class.base_filters.get(parameter["name"]) if filterset_class else None
        if isinstance(declared, IntegerFilter):
            schema["type"] = "integer"
            if declared.extra.get("min_value") is not None:
                schema["minimum"] = declared.extra["min_value"]
            if declared.extra.get("max_value") is not None:
                schema["maximum"] = declared.extra["max_value"]
        if schema.get("type") == "array":
            schema.setdefault("maxItems", MAX_REPEATS)
            schema = schema.get("items", {})
        if schema.get("type") == "string" and "enum" not in schema:
            schema["maxLength"] = min(schema.get("maxLength", MAX_VALUE_LENGTH), MAX_VALUE_LENGTH)

    def _map_basic_serializer(self, serializer, direction):
        meta = super()._map_basic_serializer(serializer, direction)
        # A serializer that refuses fields it does not know (`closed = True`) says so.
        if getattr(serializer, "closed", False):
            meta["additionalProperties"] = False
        return meta

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        meta = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(field, serializers.CharField) and meta.get("type") == "string":
            if "pattern" not in meta and "format" not in meta and "enum" not in meta:
                # What DRF refuses of text: a NUL character, and blank (or only spaces, which it trims) text
                # where that is not allowed.
                meta["pattern"] = TEXT_PATTERN if field.allow_blank else NON_BLANK_TEXT_PATTERN
        # A nested `many=True` serializer's bounds (the bulk upload's 1 to 10,000 rows): drf-spectacular
        # states a ListField's, not a ListSerializer's.
        if isinstance(field, serializers.ListSerializer) and meta.get("type") == "array":
            if field.min_length is not None:
                meta["minItems"] = field.min_length
            if field.max_length is not None:
                meta["maxItems"] = field.max_length
        return meta

    def get_request_serializer(self):
        write_serializer = getattr(self.view, "write_serializer_class", None)
        if write_serializer is not None and getattr(self.view, "action", None) in (
            "create",
            "update",
            "partial_update",
        ):
            return write_serializer
        return super().get_request_serializer()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        if self.method in ("PUT", "PATCH"):
            parameters.append(IF_MATCH)
        if self._is_conditional_read():
            parameters.append(IF_NONE_MATCH)
        return parameters

    def _is_conditional_read(self) -> bool:
        # humtrack.api.viewsets.RetrieveMixin answers If-None-Match.
        from .viewsets import RetrieveMixin

        return getattr(self.view, "action", None) == "retrieve" and isinstance(self.view, RetrieveMixin)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for response in responses.values():
            content = response.get("content", {})
            if "text/csv" in content:
                content["text/csv"] = {"schema": CSV_SCHEMA}
            if "application/geo+json" in content:
                geojson = FEATURE_COLLECTION_SCHEMA if self._is_list_view() else FEATURE_SCHEMA
                content["application/geo+json"] = {"schema": geojson}
        errors = dict(ERRORS_EVERYWHERE)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(ERRORS_WITH_A_BODY)
        if self.method == "POST":
            errors.update(ERRORS_ON_POST)
        if self.method in ("PUT", "PATCH"):
            errors.update(ERRORS_ON_UPDATE)
        if self._is_conditional_read():
            responses.setdefault("304", dict(NOT_MODIFIED))
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        for code, description in errors.items():
            responses.setdefault(
                code, {"description": description, "content": {"application/json": {"schema": error_ref}}}
            )
        for code, response in responses.items():
            headers = self.response_headers(code)
            if headers:
                response["headers"] = {**response.get("headers", {}), **headers}
        return responses

    def response_headers(self, code: str) -> dict[str, dict]:
        """The headers the server sends with a `code` answer to this operation (see the module docstring)."""
        from .idempotency import IdempotentPostMixin
        from .pagination import UpdatedCursorPagination
        from .viewsets import CreateMixin, UpdateMixin

        action = getattr(self.view, "action", None)
        headers: dict[str, dict] = {}
        if code in ("429", "503"):
            headers["Retry-After"] = RETRY_AFTER
        elif code == "401":
            headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        elif code == "405":
            headers["Allow"] = ALLOW
        elif code == "304" or (code == "200" and self._is_conditional_read()):
            headers["ETag"] = ETAG
        elif code == "201" and action == "create" and isinstance(self.view, CreateMixin):
            headers["ETag"] = ETAG
            headers["Location"] = LOCATION
        elif code == "200" and action in ("update", "partial_update") and isinstance(self.view, UpdateMixin):
            headers["ETag"] = ETAG
        if code.startswith("2") and self.method == "POST" and isinstance(self.view, IdempotentPostMixin):
            headers["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED
        if code == "200" and self.method == "GET" and self._is_list_view():
            paginator = self._get_paginator()
            if paginator is not None:
                headers["Link"] = LINK_CURSOR if isinstance(paginator, UpdatedCursorPagination) else LINK_OFFSET
        return headers
