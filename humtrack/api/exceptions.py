"""One JSON shape for every API error, and the domain exceptions mapped to HTTP.

    {"status": 400, "code": "invalid", "detail": "The request has invalid fields.",
     "fields": {"effective_at": ["Enter a valid date/time."]}}

`fields` appears on 400s that name fields (nested serializers give dotted names); the bulk upload
adds `rows`: [{"row": 12, "field": "sector", "message": "..."}]; a 409 about a record that already
exists names it: `"existing": 31`. Services raise Django's
ValidationError and humtrack.services.Conflict; they map to 400 and 409 here, so views need no
try/except.

`code` is always one of `ErrorCode`, the codes partners program against; the schema lists them
(humtrack.api.schema) and docs/api.md explains each. A code DRF or a view would emit that is not in
the enum is answered as `error` and logged, so a partner never meets an undocumented code.

A 5xx is in this shape too: a database still locked after the busy timeout (SQLite) is a 503 with
Retry-After, here or, when it happens outside DRF's handling, in humtrack.api.middleware; any other
exception a view does not handle is a logged 500 `server_error` there, never Django's HTML page.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.db.models import ProtectedError, TextChoices
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from humtrack.services import Conflict

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class ErrorCode(TextChoices):
    """Every `code` an error body carries, by HTTP status; the label says when (docs/api.md, the schema)."""

    INVALID = "invalid", "400: invalid parameters or body; `fields` names each one."
    PARSE_ERROR = "parse_error", "400: the body is not valid JSON."
    INVALID_ROWS = "invalid_rows", "400: a bulk upload has invalid rows; `rows` names each; nothing was written."
    NOT_AUTHENTICATED = "not_authenticated", "401: no token was sent."
    AUTHENTICATION_FAILED = "authentication_failed", "401: the token is not valid, or has been revoked."
    PERMISSION_DENIED = "permission_denied", "403: the token lacks the scope, or the record is another's."
    ROWS_OF_ANOTHER_ORGANISATION = (
        "rows_of_another_organisation",
        "403: a bulk upload would change another organisation's figures; `rows` names them.",
    )
    NOT_FOUND = "not_found", "404: no such record or path, an invalid cursor, or a format not offered."
    METHOD_NOT_ALLOWED = "method_not_allowed", "405: the resource does not take this method."
    NOT_ACCEPTABLE = "not_acceptable", "406: no format the Accept header allows."
    CONFLICT = "conflict", "409: the request conflicts with the records as they now are."
    PRECONDITION_FAILED = "precondition_failed", "412: If-Match names an older version of the record."
    REQUEST_TOO_LARGE = "request_too_large", "413: the body is larger than the server accepts."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "415: the body is not JSON."
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", "422: this Idempotency-Key was used for another request."
    THROTTLED = "throttled", "429: too many requests; retry after `Retry-After` seconds."
    SERVER_ERROR = (
        "server_error",
        "500: an unexpected error on the server; it is logged: report it with the response's X-Request-ID.",
    )
    SERVICE_UNAVAILABLE = "service_unavailable", "503: the database is busy; retry after `Retry-After` seconds."
    # DRF's APIException's own code, and what a code not listed here is answered as (error_code logs
    # it): neither is expected.
    ERROR = "error", "Any other error; please report it."


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The record has changed since you read it (If-Match does not match its ETag).")
    default_code = ErrorCode.PRECONDITION_FAILED


class ConflictError(exceptions.APIException):
    """409; `existing`, when given, is the id of the record the request would duplicate (the body's `existing`)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the record as it now is.")
    default_code = ErrorCode.CONFLICT

    def __init__(self, detail=None, code=None, *, existing: int | None = None):
        super().__init__(detail, code)
        self.existing = existing


class DatabaseBusy(exceptions.APIException):
    """The database stayed locked for the whole busy timeout (SQLite under many writers): the
    statement that waited did not run, and the request may be sent again (with its Idempotency-Key)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("The database is busy; send the request again after Retry-After seconds.")
    default_code = ErrorCode.SERVICE_UNAVAILABLE
    wait = 5  # seconds: the Retry-After header (api_exception_handler, humtrack.api.middleware)


def is_database_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked", raised once the busy timeout (settings: OPTIONS timeout) has passed."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


class RowErrors(exceptions.APIException):
    """A bulk upload with invalid rows (400), or rows the partner may not change (403); nothing was written."""

    status_code: int = status.HTTP_400_BAD_REQUEST  # or 403, per instance (__init__)
    default_detail = gettext_lazy("Some rows are invalid; nothing was written.")
    default_code = ErrorCode.INVALID_ROWS

    # Enough to fix a file; a 10,000-row upload with one mistake everywhere does not need 10,000 messages.
    MAX_REPORTED = 1000

    def __init__(self, rows: list[dict], status_code: int = status.HTTP_400_BAD_REQUEST, detail: str | None = None):
        forbidden = status_code == status.HTTP_403_FORBIDDEN
        super().__init__(detail, ErrorCode.ROWS_OF_ANOTHER_ORGANISATION if forbidden else None)
        self.status_code = status_code
        self.rows = rows[: self.MAX_REPORTED]


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as {"field.sub": ["message", ...]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub_name, messages in _flatten(value, name).items():
                fields.setdefault(sub_name, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or NON_FIELD] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    fields.update(_flatten(item, f"{prefix}[{index}]" if prefix else f"[{index}]"))
    else:
        fields[prefix or NON_FIELD] = [str(detail)]
    return fields


def error_code(exc: exceptions.APIException) -> ErrorCode:
    """The exception's code (its detail's, else its class's default) as an ErrorCode; `error` if unlisted."""
    code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else None
    code = code or exc.default_code
    if code in ErrorCode.values:
        return ErrorCode(code)
    logger.warning("error code %r is not an ErrorCode: answered as %r", code, ErrorCode.ERROR.value)
    return ErrorCode.ERROR


def error_body(status_code: int, code: ErrorCode, detail: str, **extra) -> dict:
    """The one error shape. `code` must be an ErrorCode (ValueError otherwise: a bug, caught by the tests)."""
    body = {"status": status_code, "code": ErrorCode(code).value, "detail": detail}
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def as_api_exception(exc):
    """Domain and Django exceptions as DRF's, so one path renders them all."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, Conflict):
        return ConflictError(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, ProtectedError):
        return ConflictError(gettext("The record is still referenced by other records."))
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error answered as 409: %s", exc)
        return ConflictError(gettext("The request conflicts with existing records."))
    if isinstance(exc, (OverflowError, DataError)):
        logger.warning("out-of-range value answered as 400: %s", exc)
        # A number or date-time beyond what the database holds (a path id, a filter value).
        return exceptions.ValidationError({NON_FIELD: [gettext("A value is out of range.")]})
    if is_database_busy(exc):
        logger.warning("database still locked after the busy timeout: answered as 503")
        return DatabaseBusy()
    return exc


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as {"status", "code", "detail", ...}."""
    exc = as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: humtrack.api.middleware logs it and answers 500
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)) and "request" in context:
        # DRF refuses these before its throttles run: count them here, per address. (Imported here:
        # throttling imports humtrack.security, which imports this module.)
        from .throttling import unauthenticated_refusal

        exc = unauthenticated_refusal(context["request"], context.get("view")) or exc
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, RowErrors):
        body = error_body(exc.status_code, error_code(exc), str(exc.detail), rows=exc.rows)
        if len(exc.rows) == exc.MAX_REPORTED:
            body["detail"] += gettext(" (the first %(count)d errors)") % {"count": exc.MAX_REPORTED}
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = error_body(exc.status_code, ErrorCode.INVALID, gettext("The request has invalid fields."), fields=fields)
    else:
        detail = exc.detail
        if isinstance(detail, (list, dict)):
            detail = "; ".join(m for messages in _flatten(detail).values() for m in messages)
        body = error_body(exc.status_code, error_code(exc), str(detail), existing=getattr(exc, "existing", None))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
