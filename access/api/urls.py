"""Access routes under /api/v1/: regions/, corridors/, restrictions/, outages/, sources/, incidents/, severity/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views.corridors import CorridorViewSet
from .views.facts import OutageViewSet, RestrictionViewSet
from .views.incidents import IncidentViewSet
from .views.regions import RegionViewSet
from .views.severity import RegionSeverityViewSet, SeverityViewSet
from .views.sources import SourceViewSet

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("corridors", CorridorViewSet, basename="corridor")
router.register("restrictions", RestrictionViewSet, basename="restriction")
router.register("outages", OutageViewSet, basename="outage")
router.register("sources", SourceViewSet, basename="source")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls

# A region's access severity for a month, and many regions' (access.api.views.severity).
urlpatterns += [
    path(
        "regions/<str:pcode>/severity/",
        RegionSeverityViewSet.as_view({"get": "retrieve"}),
        name="region-severity",
    ),
    path("severity/", SeverityViewSet.as_view({"get": "list"}), name="severity-list"),
]
