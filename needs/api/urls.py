from rest_framework.routers import SimpleRouter

from . import hapi, views

router = SimpleRouter()
# Before "needs": its detail route would take "hapi" for an id.
router.register("needs/hapi", hapi.HapiNeedsViewSet, basename="need-hapi")
router.register("needs", views.NeedFigureViewSet, basename="need")

urlpatterns = router.urls
