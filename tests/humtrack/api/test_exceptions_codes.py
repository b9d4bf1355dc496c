"""The codes partners program against: every code an error body can carry is an ErrorCode, listed in
the schema and docs/api.md, and a code outside the enum never reaches a partner."""

import json
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.db.models import ProtectedError
from django.http import Http404
from django.test import Client, RequestFactory
from rest_framework import exceptions

import humtrack.api.idempotency  # noqa: F401  (defines IdempotencyKeyReused)
from humtrack.api.exceptions import ErrorCode, RowErrors, api_exception_handler, error_body
from humtrack.api.middleware import server_error
from humtrack.api.views import not_found
from humtrack.security import RequestSizeLimitMiddleware
from humtrack.services import Conflict

# Constructor arguments of the exception classes that need some; any other is built with none.
ARGUMENTS = {
    exceptions.MethodNotAllowed: ("DELETE",),
    exceptions.UnsupportedMediaType: ("multipart/form-data",),
    exceptions.Throttled: (30,),
    RowErrors: ([{"row": 0, "field": "sector", "message": "Not a sector."}],),
}
# What the handler turns into an API error before answering (humtrack.api.exceptions.as_api_exception).
DOMAIN_AND_DJANGO_ERRORS = [
    DjangoValidationError("A change cannot take effect in the future."),
    DjangoValidationError({"reason": ["Say why."]}),
    Conflict("Already ended."),
    Http404("No region with p-code XX."),
    DjangoPermissionDenied("Not yours."),
    ProtectedError("Still referenced.", set()),
    IntegrityError("duplicate key"),
    DataError("out of range"),
    OverflowError("too large"),
    OperationalError("database is locked"),
]


def api_exception_classes() -> list[type[exceptions.APIException]]:
    """DRF's exception classes and humtrack's: what the API's code raises (other libraries' are not raised)."""
    found, pending = [], [exceptions.APIException]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(("rest_framework.", "humtrack.")):
            found.append(cls)
    return found


def handled_code(exc) -> str:
    return api_exception_handler(exc, {}).data["code"]


def emitted_codes() -> dict[str, str]:
    """Every code the API can answer with, and what emitted it."""
    codes = {}
    for cls in api_exception_classes():
        codes[handled_code(cls(*ARGUMENTS.get(cls, ())))] = cls.__name__
    codes[handled_code(RowErrors(*ARGUMENTS[RowErrors], status_code=403))] = "RowErrors (403)"
    for error in DOMAIN_AND_DJANGO_ERRORS:
        codes[handled_code(error)] = type(error).__name__
    # Answered outside DRF, in the same shape: a body over the size limit, a path naming no resource.
    request = RequestFactory().post("/api/v1/needs/bulk/")
    codes[json.loads(RequestSizeLimitMiddleware.too_large(request, 10).content)["code"]] = "RequestSizeLimitMiddleware"
    codes[json.loads(not_found(RequestFactory().get("/api/v1/nothing/")).content)["code"]] = "not_found view"
    # …and a 5xx under /api/ that DRF's handler does not answer (humtrack.api.middleware).
    for status in (500, 503):
        codes[json.loads(server_error(status).content)["code"]] = f"ApiServerErrorMiddleware ({status})"
    return codes


@pytest.fixture(scope="module")
def schema():
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def error_code_enum(schema) -> list[str]:
    code = schema["components"]["schemas"]["Error"]["properties"]["code"]
    reference = code["allOf"][0]["$ref"] if "allOf" in code else code["$ref"]
    return schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]["enum"]


def test_every_code_the_api_answers_with_is_an_error_code(caplog):
    with caplog.at_level(logging.WARNING, logger="humtrack.api.exceptions"):
        emitted = emitted_codes()
    assert {code: by for code, by in emitted.items() if code not in ErrorCode.values} == {}
    assert "is not an ErrorCode" not in caplog.text  # no error fell back to `error` for want of its code
    # …and the enum lists nothing no error carries (`error` is APIException's own code, and the fallback).
    assert set(ErrorCode.values) == set(emitted)


def test_the_schema_lists_every_error_code_as_the_enum_of_code(schema):
    assert error_code_enum(schema) == list(ErrorCode.values)
    assert set(emitted_codes()) <= set(error_code_enum(schema))


def test_a_code_outside_the_enum_is_answered_as_error_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="humtrack.api.exceptions"):
        response = api_exception_handler(exceptions.APIException("I'm a teapot.", code="teapot"), {})
    assert response.data == {"status": 500, "code": "error", "detail": "I'm a teapot."}
    assert "'teapot' is not an ErrorCode" in caplog.text


def test_an_error_body_refuses_a_code_outside_the_enum():
    with pytest.raises(ValueError):
        error_body(400, "teapot", "Short and stout.")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (RowErrors(*ARGUMENTS[RowErrors]), "invalid_rows"),
        (RowErrors(*ARGUMENTS[RowErrors], status_code=403, detail="Not yours."), "rows_of_another_organisation"),
        (exceptions.PermissionDenied("This token lacks the 'write' scope."), "permission_denied"),
        (exceptions.ValidationError({"reason": ["Say why."]}), "invalid"),
        (Conflict("Already ended."), "conflict"),
    ],
)
def test_each_error_keeps_its_code(exc, code):
    assert handled_code(exc) == code


def test_the_api_documentation_explains_every_error_code():
    documentation = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    assert [code for code in ErrorCode.values if f"| `{code}` |" not in documentation] == []
