"""Alert routes under /api/v1/: subscriptions/, webhooks/ and alerts/cap/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api
from .webhooks import api as webhooks_api

router = SimpleRouter()
router.register("subscriptions", api.SubscriptionViewSet, basename="subscription")
router.register("webhooks", webhooks_api.WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("alerts/cap/", api.CapFeedView.as_view(), name="alerts-cap"),
    *router.urls,
]
