"""gzip for the API's responses only (Django's GZipMiddleware), their ETags kept as the views set them.

Only /api/: the admin's and the pages' HTML carries CSRF tokens next to text an attacker may influence,
which compression would leak (BREACH); the API authenticates with an Authorization header, not a
cookie, and has no such secret in its bodies. Django's GZipMiddleware also pads with random bytes.

An API ETag names the record's version (humtrack.api.conditional), the same whatever the format (JSON,
CSV, GeoJSON) or the encoding; GZipMiddleware would weaken it to `W/"…"`, and a weak tag never matches
`If-Match` (RFC 9110 §13.1.1), so a partner whose client accepts gzip could never update a record.
"""

from django.middleware.gzip import GZipMiddleware

API_PREFIX = "/api/"


class ApiGZipMiddleware(GZipMiddleware):
    """GZipMiddleware on /api/ responses, leaving their ETag strong."""

    def process_response(self, request, response):
        if not request.path.startswith(API_PREFIX):
            return response
        etag = response.get("ETag")
        response = super().process_response(request, response)
        if etag:
            response.headers["ETag"] = etag
        return response
