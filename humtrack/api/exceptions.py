"""One JSON shape for every API error, and the domain exceptions mapped to HTTP.

    {"status": 400, "code": "invalid", "detail": "The request has invalid fields.",
     "fields": {"effective_at": ["Enter a valid date/time."]}}

`fields` appears on 400s that name fields (nested serializers give dotted names); the bulk upload
adds `rows`: [{"row": 12, "field": "sector", "message": "..."}]. Services raise Django's
ValidationError and humtrack.services.Conflict; they map to 400 and 409 here, so views need no
try/except.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from humtrack.services import Conflict

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record has changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the record as it now is."
    default_code = "conflict"


class RowErrors(exceptions.APIException):
    """A bulk upload with invalid rows (400), or rows the partner may not change (403); nothing was written."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Some rows are invalid; nothing was written."
    default_code = "invalid_rows"

    # Enough to fix a file; a 10,000-row upload with one mistake everywhere does not need 10,000 messages.
    MAX_REPORTED = 1000

    def __init__(self, rows: list[dict], status_code: int = status.HTTP_400_BAD_REQUEST, detail: str | None = None):
        super().__init__(detail)
        self.status_code = status_code
        if status_code == status.HTTP_403_FORBIDDEN:
            self.default_code = "rows_of_another_organisation"
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


def _error_codes(detail):
    if isinstance(detail, exceptions.ErrorDetail):
        return detail.code
    return None


def error_body(status_code: int, code: str, detail: str, **extra) -> dict:
    body = {"status": status_code, "code": code, "detail": detail}
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
        return ConflictError("The record is still referenced by other records.")
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error answered as 409: %s", exc)
        return ConflictError("The request conflicts with existing records.")
    if isinstance(exc, (OverflowError, DataError)):
        logger.warning("out-of-range value answered as 400: %s", exc)
        # A number or date-time beyond what the database holds (a path id, a filter value).
        return exceptions.ValidationError({NON_FIELD: ["A value is out of range."]})
    return exc


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as {"status", "code", "detail", ...}."""
    exc = as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, RowErrors):
        body = error_body(exc.status_code, exc.default_code, str(exc.detail), rows=exc.rows)
        if len(exc.rows) == exc.MAX_REPORTED:
            body["detail"] += f" (the first {exc.MAX_REPORTED} errors)"
    elif isinstance(exc, exceptions.ValidationError):
        body = error_body(exc.status_code, "invalid", "The request has invalid fields.", fields=_flatten(exc.detail))
    else:
        detail = exc.detail
        if isinstance(detail, (list, dict)):
            detail = "; ".join(m for messages in _flatten(detail).values() for m in messages)
        code = _error_codes(exc.detail) or exc.default_code
        body = error_body(exc.status_code, str(code), str(detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
