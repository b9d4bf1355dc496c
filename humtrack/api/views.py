"""Views of the API itself (not of a resource): its root, which lists the resources, and its 404."""

from collections.abc import Iterable, Iterator

from django.http import JsonResponse
from django.urls import URLPattern, URLResolver, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import ErrorCode, error_body
from .query import StrictQueryParameters


@csrf_exempt  # any method: a PUT to a mistyped path is a 404 too, not a CSRF page
def not_found(request, *args, **kwargs):
    """Any path under /api/ that names no resource: a 404 in the API's error shape."""
    return JsonResponse(error_body(404, ErrorCode.NOT_FOUND, gettext("No such resource (see /api/docs/).")), status=404)


def routes_without_arguments(patterns: Iterable[URLPattern | URLResolver]) -> Iterator[str]:
    """The names of the routes that take no argument: collections (regions/) and endpoints like
    needs/summary/, not one record's URL (regions/{pcode}/)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from routes_without_arguments(entry.url_patterns)
        elif entry.name and not entry.pattern.regex.groups:
            yield entry.name


class ApiRootView(StrictQueryParameters, APIView):
    """GET /api/v1/: every resource's URL, the schema's and the docs'. Public, like the schema: it
    tells no more than the schema does, and a partner finds it before holding a token."""

    permission_classes = [AllowAny]
    # Set in urls.py: the patterns whose resources this root lists (the version's own patterns).
    patterns: list = []

    @extend_schema(
        summary="The API's resources",
        description="Each resource's URL, with the OpenAPI schema and the documentation. No token needed.",
        responses=inline_serializer(
            "ApiRoot",
            {
                "resources": serializers.DictField(
                    child=serializers.URLField(), help_text=_("Resource path (as in regions) → its absolute URL.")
                ),
                "schema": serializers.URLField(help_text=_("The OpenAPI schema.")),
                "docs": serializers.URLField(help_text=_("The documentation, generated from the schema.")),
            },
        ),
    )
    def get(self, request):
        root = reverse("api:root")
        resources = {}
        for name in routes_without_arguments(self.patterns):
            path = reverse(f"api:{name}")
            resources[path.removeprefix(root).strip("/")] = request.build_absolute_uri(path)
        return Response(
            {
                "resources": resources,
                "schema": request.build_absolute_uri(reverse("api:schema")),
                "docs": request.build_absolute_uri(reverse("api:docs")),
            }
        )
