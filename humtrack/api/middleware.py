"""Server errors under /api/ in the API's one JSON error shape (humtrack.api.exceptions), never HTML.

An exception a view does not handle (DRF's handler answers only what it knows) is logged with its
traceback, under the request id like every log line, and answered as a 500 `server_error` that says
nothing of its cause; a database still locked after the busy timeout is a 503 `service_unavailable`
with Retry-After, which a partner may retry. Any other 5xx under /api/ that is not JSON (an error in
a middleware, which Django answers with its HTML page, or with its debug page under DEBUG) gets the
same shape in place of its body. Paths outside /api/ keep Django's pages.
"""

from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response
from django.utils.translation import gettext_lazy as _

from .exceptions import DatabaseBusy, ErrorCode, error_body, is_database_busy

API_PREFIX = "/api/"
SERVER_ERROR_DETAIL = _("An unexpected error on the server, logged: report it with this response's X-Request-ID.")


def server_error(status_code: int = 500) -> JsonResponse:
    """A 5xx in the error shape: 503 `service_unavailable` with Retry-After, any other `server_error`."""
    if status_code == DatabaseBusy.status_code:
        body = error_body(status_code, ErrorCode.SERVICE_UNAVAILABLE, str(DatabaseBusy.default_detail))
        return JsonResponse(body, status=status_code, headers={"Retry-After": str(DatabaseBusy.wait)})
    return JsonResponse(error_body(status_code, ErrorCode.SERVER_ERROR, str(SERVER_ERROR_DETAIL)), status=status_code)


class ApiServerErrorMiddleware:
    """Answers 5xx under /api/ as JSON. Placed near the top of MIDDLEWARE: its process_exception runs
    after the inner middlewares' (Prometheus counts the exception first), and its __call__ sees the
    response of every middleware below it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path_info.startswith(API_PREFIX)
            and response.status_code >= 500
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            # Django has logged the exception behind it (django.request); only the body is replaced.
            replacement = server_error(response.status_code)
            replacement._has_been_logged = getattr(response, "_has_been_logged", False)  # type: ignore[attr-defined]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path_info.startswith(API_PREFIX):
            return None
        if is_database_busy(exception):
            response = server_error(DatabaseBusy.status_code)
            log_response("Database still locked after the busy timeout: %s", request.path, response=response,
                         request=request, level="warning")  # fmt: skip
        else:
            # As Django does for the exceptions it answers: the test client re-raises it, error
            # reporters hear of it.
            got_request_exception.send(sender=None, request=request)
            response = server_error()
            log_response("Internal Server Error: %s", request.path, response=response, request=request,
                         exception=exception)  # fmt: skip
        return response
