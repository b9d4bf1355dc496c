"""Views of the API itself (not of a resource)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .exceptions import error_body


@csrf_exempt  # any method: a PUT to a mistyped path is a 404 too, not a CSRF page
def not_found(request, *args, **kwargs):
    """Any path under /api/ that names no resource: a 404 in the API's error shape."""
    return JsonResponse(error_body(404, "not_found", "No such resource (see /api/docs/)."), status=404)
