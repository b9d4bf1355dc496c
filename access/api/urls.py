from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("corridors", views.CorridorViewSet, basename="corridor")
router.register("restrictions", views.RestrictionViewSet, basename="restriction")
router.register("outages", views.OutageViewSet, basename="outage")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = router.urls
