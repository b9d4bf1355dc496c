"""The API under /api/: version 1 at /api/v1/, the OpenAPI schema at /api/schema/, docs at /api/docs/.

Each app contributes its routes (access.api.urls, needs.api.urls); add a module's routes to
`v1_patterns`, and /api/v1/ (the root) lists them. URL names live in the "api" namespace: reverse("api:region-list").
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import (
    deletions,
    schema,  # noqa: F401  (registers the token authentication in the schema)
    views,
)

app_name = "api"

kernel_router = SimpleRouter()
kernel_router.register("deletions", deletions.DeletionViewSet, basename="deletion")

v1_patterns = [
    path("", include("access.api.urls")),
    path("", include("needs.api.urls")),
    path("", include("access.alerts.api_urls")),
    *kernel_router.urls,
]

urlpatterns = [
    path("v1/", views.ApiRootView.as_view(patterns=v1_patterns), name="root"),
    path("v1/", include(v1_patterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Last: any other path under /api/ is a 404 in the API's error shape, not Django's HTML page.
    # Any character, a newline (`%0A`) too: `.` would leave such a path to Django's HTML 404.
    re_path(r"^[\s\S]*$", views.not_found),
]
