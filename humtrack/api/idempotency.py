"""`Idempotency-Key` on POST: a retried request gets the first response again and changes nothing.

The key row is inserted in the same transaction as the write it guards. A concurrent retry with
the same key waits on the unique index until the first commits (PostgreSQL) and then replays its
response; if the first fails, nothing is stored and the retry runs as new. Only successful (2xx)
responses are stored: a request that failed may be corrected and sent again with the same key.
"""

import hashlib
import json

import orjson
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from humtrack.models import IdempotencyKey

from .exceptions import ErrorCode
from .permissions import request_token
from .renderers import dumps

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag", "Content-Type")


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("This Idempotency-Key was already used for a different request; use a new key.")
    default_code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class _Replay(Exception):
    def __init__(self, stored: IdempotencyKey):
        self.stored = stored


def key_owner(request) -> str:
    token = request_token(request)
    if token is not None:
        return f"org:{token.organisation_id}"
    return f"user:{request.user.pk}"


def request_fingerprint(request) -> str:
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict from a form
        data = {key: values for key, values in data.lists()}
    try:
        body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits, which the standard library writes
        body = json.dumps(data, sort_keys=True, default=str).encode()
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


class IdempotentPostMixin:
    """For views: a POST carrying `Idempotency-Key` runs at most once per key (see the module docstring)."""

    def _idempotency_key(self, request) -> str:
        return (request.headers.get(IDEMPOTENCY_HEADER) or "").strip() if request.method == "POST" else ""

    def dispatch(self, request, *args, **kwargs):
        if self._idempotency_key(request):
            # One transaction for the key row and the write: both stay, or neither.
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, scopes, throttling first
        self._idempotency_record = None
        key = self._idempotency_key(request)
        if not key:
            return
        if len(key) > 255:
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [gettext("At most 255 characters.")]})
        owner, fingerprint = key_owner(request), request_fingerprint(request)
        try:
            with transaction.atomic():
                self._idempotency_record = IdempotencyKey.objects.create(
                    owner=owner, key=key, method=request.method, path=request.path[:1000],
                    request_fingerprint=fingerprint,
                )  # fmt: skip
        except IntegrityError:
            stored = IdempotencyKey.objects.get(owner=owner, key=key)
            if stored.request_fingerprint != fingerprint or stored.response_status is None:
                raise IdempotencyKeyReused() from None
            raise _Replay(stored) from None

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            stored = exc.stored
            headers = {name: value for name, value in stored.response_headers.items() if name != "Content-Type"}
            headers[REPLAYED_HEADER] = "true"
            return Response(stored.response_body, status=stored.response_status, headers=headers)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            if 200 <= response.status_code < 300:
                record.response_status = response.status_code
                record.response_body = orjson.loads(dumps(response.data))
                record.response_headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
                record.save(update_fields=["response_status", "response_body", "response_headers"])
            else:
                transaction.set_rollback(True)  # forget the key: the request changed nothing
        return response
