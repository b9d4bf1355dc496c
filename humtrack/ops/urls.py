from django.urls import path

from humtrack.ops import views

# Also served by ProbeMiddleware before host validation; listed here so that reverse() and a
# project without the middleware still find them.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.prometheus_metrics, name="metrics"),
]
