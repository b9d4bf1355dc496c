from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("needs", views.NeedFigureViewSet, basename="need")

urlpatterns = router.urls
