"""Alert routes under /api/v1/: subscriptions/ and alerts/cap/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("subscriptions", api.SubscriptionViewSet, basename="subscription")

urlpatterns = [
    path("alerts/cap/", api.CapFeedView.as_view(), name="alerts-cap"),
    *router.urls,
]
