"""The partner API of webhooks (scope `webhooks`): endpoints, their secret, their delivery log, redelivery
and backfill, under /api/v1/webhooks/.

Thin: writes through access.alerts.webhooks.endpoints, who may through access.policies. A partner sees
only its organisation's endpoints (another's is a 404: the URL and the events it follows are its own
business); a superuser's session sees all of them; a coordinator's none (403).
"""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from access.models import WebhookEndpoint
from access.policies import can_manage_webhook_endpoint, can_register_webhook_endpoints, is_superuser
from humtrack.api.permissions import HasScope, request_actor, request_organisation
from humtrack.api.renderers import ORJSONRenderer
from humtrack.api.viewsets import CreateMixin, ListMixin, PartnerViewSet, RetrieveMixin, UpdateMixin
from humtrack.models import TokenScope

from . import endpoints
from .choices import WebhookDeliveryStatus
from .serializers import (
    BackfillResultSerializer,
    BackfillSerializer,
    RotatedSecretSerializer,
    RotateSecretSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
)

NOT_YOURS = _("Webhook endpoints are managed by their partner organisation, or by a superuser.")
REGISTER_WITH_A_TOKEN = _("An endpoint belongs to a partner organisation: register it with its token.")


class MayManageWebhookEndpoints(HasScope):
    """The `webhooks` scope, held by one who may have endpoints at all (access.policies); then, per
    endpoint, one who may manage it. A coordinator's session holds every scope but manages none: 403."""

    required_scope = TokenScope.WEBHOOKS

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        self.message = NOT_YOURS
        return can_register_webhook_endpoints(request_actor(request))

    def has_object_permission(self, request, view, obj):
        return can_manage_webhook_endpoint(request_actor(request), obj)


class DeliveryStatusQuery(serializers.Serializer):
    status = serializers.MultipleChoiceField(choices=WebhookDeliveryStatus.choices, required=False)


DELIVERY_STATUS = OpenApiParameter(
    "status",
    OpenApiTypes.STR,
    enum=WebhookDeliveryStatus.values,
    many=True,
    explode=True,
    description="Only deliveries in this status (repeat it for several).",
)
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)
ACCEPTED = "Accepted: the deliveries are due now (held, while the endpoint is disabled); a worker sends them."


@extend_schema_view(
    list=extend_schema(summary="Your organisation's webhook endpoints"),
    retrieve=extend_schema(summary="One webhook endpoint"),
    create=extend_schema(
        summary="Register a webhook endpoint (its secret is in this response only)",
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    ),
    update=extend_schema(summary="Change a webhook endpoint"),
    partial_update=extend_schema(summary='Change part of a webhook endpoint; `{"active": true}` enables it'),
    destroy=extend_schema(summary="Delete a webhook endpoint and its delivery log", responses={204: None}),
)
class WebhookEndpointViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, PartnerViewSet):
    """Signed POSTs (Standard Webhooks 1.0) to your HTTPS endpoints when access or needs change.
    Needs the `webhooks` scope (docs/api.md, "Webhooks")."""

    serializer_class = WebhookEndpointSerializer
    write_serializer_class = WebhookEndpointWriteSerializer
    permission_classes = [MayManageWebhookEndpoints]
    renderer_classes = [ORJSONRenderer]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    filterset_class = None
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return WebhookEndpoint.objects.none()  # the schema generator, or a request about to get a 401
        organisation = request_organisation(self.request)
        if organisation is not None:
            return WebhookEndpoint.objects.filter(organisation=organisation)
        # A session: a superuser's sees every organisation's endpoints, anyone else's none (and is refused
        # by MayManageWebhookEndpoints before this).
        return WebhookEndpoint.objects.all() if is_superuser(self.actor) else WebhookEndpoint.objects.none()

    def get_write_serializer(self, *args, **kwargs):
        if self.action == "create":
            kwargs.setdefault("context", self.get_serializer_context())
            return WebhookEndpointCreateSerializer(*args, **kwargs)
        return super().get_write_serializer(*args, **kwargs)

    def get_serializer_class(self):
        return WebhookEndpointCreatedSerializer if self.action == "create" else super().get_serializer_class()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "secret": getattr(self, "_new_secret", None)}

    def create_record(self, data):
        organisation = request_organisation(self.request)
        if organisation is None:
            raise PermissionDenied(REGISTER_WITH_A_TOKEN)
        endpoint, self._new_secret = endpoints.register_endpoint(organisation=organisation, actor=self.actor, **data)
        return endpoint

    def update_record(self, endpoint, data):
        return endpoints.update_endpoint(endpoint=endpoint, actor=self.actor, **data)

    def destroy(self, request, *args, **kwargs):
        endpoints.delete_endpoint(endpoint=self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate the signing secret (the old one keeps signing for an overlap)",
        request=RotateSecretSerializer,
        responses={200: RotatedSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        serializer = RotateSecretSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        overlap = timedelta(seconds=serializer.validated_data["overlap_seconds"])
        secret = endpoints.rotate_secret(endpoint=endpoint, actor=self.actor, overlap=overlap)
        body = {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}
        return Response(RotatedSecretSerializer(body).data)

    @extend_schema(
        summary="The endpoint's deliveries: status, attempts, last answer",
        parameters=[DELIVERY_STATUS],
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, query_parameters=DeliveryStatusQuery)
    def deliveries(self, request, pk=None):
        """Ordered by (updated_at, id) like every list: a delivery tried again comes again, at the end."""
        endpoint = self.get_object()
        query = DeliveryStatusQuery(data={"status": request.query_params.getlist("status")})
        query.is_valid(raise_exception=True)
        deliveries = endpoint.deliveries.select_related("event")
        if query.validated_data.get("status"):
            deliveries = deliveries.filter(status__in=query.validated_data["status"])
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send one delivery again (the same webhook-id)",
        parameters=[DELIVERY_ID],
        request=None,
        responses={202: OpenApiResponse(WebhookDeliverySerializer, description=ACCEPTED)},
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver")
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        delivery = get_object_or_404(endpoint.deliveries.select_related("event"), pk=delivery_id)
        delivery = endpoints.redeliver(delivery=delivery, actor=self.actor)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Send every event since a moment again (those of the types the endpoint wants)",
        request=BackfillSerializer,
        responses={202: OpenApiResponse(BackfillResultSerializer, description=ACCEPTED)},
    )
    @action(detail=True, methods=["post"])
    def backfill(self, request, pk=None):
        endpoint = self.get_object()
        serializer = BackfillSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = endpoints.backfill(endpoint=endpoint, since=serializer.validated_data["since"], actor=self.actor)
        return Response(BackfillResultSerializer({"count": count}).data, status=status.HTTP_202_ACCEPTED)
