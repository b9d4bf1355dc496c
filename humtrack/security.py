"""Limits on what a request may send, enforced before any view reads it.

Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when a form body or `request.body` is read; DRF's
JSON parser reads the request stream directly, so without this a partner (or anyone, before
authentication) could make a process read a body of any size into memory. The proxy in front
(deploy/nginx) has its own limit; this one holds when the app is reached without it.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from humtrack.api.exceptions import ErrorCode, error_body

REQUEST_TOO_LARGE = 413


def max_request_bytes() -> int:
    # Read per request, so a changed setting (tests, override_settings) applies at once.
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestSizeLimitMiddleware:
    """Answers 413 to a request whose declared body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = max_request_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # the WSGI server refuses a malformed length; nothing will be read
        if limit is not None and declared > limit:
            return self.too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def too_large(request, limit: int):
        detail = f"The request body is larger than {limit} bytes; send fewer rows per request."
        if request.path.startswith("/api/"):
            # The API's one error shape (humtrack.api.exceptions).
            body = error_body(REQUEST_TOO_LARGE, ErrorCode.REQUEST_TOO_LARGE, detail)
            return JsonResponse(body, status=REQUEST_TOO_LARGE)
        return HttpResponse(detail, status=REQUEST_TOO_LARGE, content_type="text/plain; charset=utf-8")


def client_ip_address(request) -> str | None:
    """The client's address for login throttling (django-axes' AXES_CLIENT_IP_CALLABLE).

    Behind HUMTRACK_TRUSTED_PROXIES proxies (nginx, an ingress) REMOTE_ADDR is the proxy's. Each proxy
    appends the address it saw to X-Forwarded-For, so the entry that many places from the right is the
    one our outermost proxy saw; anything further left was sent by the client and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.HUMTRACK_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies <= 0 or len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
