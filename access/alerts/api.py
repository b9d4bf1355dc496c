"""The partner API of alerts: subscriptions (scope `alerts`) and the CAP feed (scope `read`).

Thin: reads and writes through access.alerts.subscriptions, the feed through access.alerts.cap. A partner sees
and changes only the subscriptions its organisation created (they hold people's email addresses).
"""

from django.core.validators import RegexValidator
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.pcodes import API_PCODE_PATTERN, region_for_parameter
from access.api.permissions import MayChangeSubscription
from access.api.serializers import RegionRef, WriteSerializer
from access.models import Region, Subscription
from humtrack.api.permissions import HasAlertsScope, HasReadScope, request_organisation
from humtrack.api.query import StrictQueryParameters
from humtrack.api.renderers import ORJSONRenderer
from humtrack.api.viewsets import CreateMixin, ListMixin, PartnerViewSet, RetrieveMixin, UpdateMixin

from .cap import cap_feed, status_change_events
from .choices import AlertLanguage
from .subscriptions import (
    create_subscription,
    stop_subscription,
    stopped_through_the_api,
    subscriptions_visible_to,
    update_subscription,
)
from .zones import DEFAULT_TIME_ZONE, validate_time_zone


class ThresholdStatusField(serializers.ChoiceField):
    """The level of a `crossing` trigger; null when there is none (the database keeps "").

    A generated client checks the value against the enum: "" is not one of its members, null is.
    On write, null and "" (what the API answered before) both mean "no threshold".
    """

    def __init__(self, **kwargs):
        choices = Subscription._meta.get_field("threshold_status").choices or []
        kwargs.setdefault("help_text", "For `crossing`: alert when a region enters this level or a worse one.")
        super().__init__(choices=choices, allow_null=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) or None

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        return "" if value is None else value


# An IANA time zone name as the schema states it; access.alerts.zones.validate_time_zone checks it is one.
TIME_ZONE_PATTERN = r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$"
TIME_ZONE_HELP = (
    "The IANA time zone the emails show times in, with UTC beside (such as `Asia/Kabul`, UTC+4:30). "
    "Default: the zone of the first region's country (`Asia/Kabul` for Afghanistan)."
)
LANGUAGE_HELP = "The language of the emails: `en` English, `fa-af` Dari, `ps` Pashto."


# The shape of an IANA name and its bound. Not an enum of the names: the list is the server's tz
# database, which changes, and its names collide as identifiers in generated clients (GMT+0, GMT-0,
# GMT0 all become GMT0 in openapi-python-client); a name the server does not know is a 400 naming the field.
TIME_ZONE_SCHEMA = {"type": "string", "maxLength": 64, "pattern": TIME_ZONE_PATTERN, "example": "Asia/Kabul"}


@extend_schema_field(TIME_ZONE_SCHEMA)
class TimeZoneField(serializers.CharField):
    """An IANA time zone name (Asia/Kabul); anything else is a 400 naming the field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", TIME_ZONE_HELP)
        super().__init__(**kwargs)
        if not self.read_only:
            self.validators.append(RegexValidator(TIME_ZONE_PATTERN, _("Not an IANA time zone name.")))
            self.validators.append(validate_time_zone)


class SubscriptionSerializer(serializers.ModelSerializer):
    regions = serializers.SlugRelatedField[Region](slug_field="pcode", many=True, read_only=True)
    paused = serializers.SerializerMethodField(help_text="Paused after repeated delivery failures.")
    threshold_status = ThresholdStatusField(read_only=True)
    language = serializers.ChoiceField(choices=AlertLanguage.choices, read_only=True, help_text=LANGUAGE_HELP)
    time_zone = serializers.SerializerMethodField(help_text=TIME_ZONE_HELP)

    class Meta:
        model = Subscription
        fields = [
            "id", "email", "name", "regions", "include_descendants", "trigger", "threshold_status",
            "include_corridors", "mode", "language", "time_zone", "active", "paused", "paused_at",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_paused(self, subscription) -> bool:
        return subscription.paused_at is not None

    @extend_schema_field(TIME_ZONE_SCHEMA)
    def get_time_zone(self, subscription) -> str:
        # Blank only on rows older than the field: their emails use the default zone, so say that one.
        return subscription.time_zone or DEFAULT_TIME_ZONE


class SubscriptionWriteSerializer(WriteSerializer):
    """`{"email": …, "name": …, "regions": ["AF08"]}` is a complete request; the rest has defaults."""

    regions = serializers.ListField(
        child=RegionRef(), min_length=1, max_length=500, help_text="p-codes of the regions to follow."
    )
    threshold_status = ThresholdStatusField(required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=AlertLanguage.choices, required=False, help_text=LANGUAGE_HELP)
    # Left out on create: the service takes the first region's country's zone.
    time_zone = TimeZoneField(required=False)

    class Meta:
        model = Subscription
        fields = [
            "email", "name", "regions", "include_descendants", "trigger", "threshold_status",
            "include_corridors", "mode", "language", "time_zone", "active",
        ]  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary="Your organisation's alert subscriptions"),
    retrieve=extend_schema(summary="One subscription"),
    create=extend_schema(summary="Subscribe a person to alerts about regions"),
    update=extend_schema(summary="Change a subscription"),
    partial_update=extend_schema(summary="Change part of a subscription"),
    destroy=extend_schema(
        summary="Delete a subscription",
        description="It stops at once and is gone from the API: 404 from then on, and it comes through "
        "`/api/v1/deletions/?resource=subscriptions`. Coordinators keep it in the admin, inactive, with its "
        "delivery history. To pause alerts and keep the subscription, PATCH `active` to false instead.",
    ),
)
class SubscriptionViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, PartnerViewSet):
    """Email alerts to people when access changes in the regions they follow. Needs the `alerts` scope."""

    serializer_class = SubscriptionSerializer
    write_serializer_class = SubscriptionWriteSerializer
    # Anyone may be subscribed to any region (no check_write_allowed); who sees and changes the
    # subscription is scoped (get_queryset, access.policies.can_change_subscription).
    permission_classes = [HasAlertsScope, MayChangeSubscription]
    renderer_classes = [ORJSONRenderer]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return Subscription.objects.none()  # the schema generator, or a request about to get a 401
        # Deleted through the API (stop_subscription): not the partner's any more.
        subscriptions = Subscription.objects.prefetch_related("regions").exclude(stopped_through_the_api())
        organisation = request_organisation(self.request)
        if organisation is not None:
            return subscriptions.filter(organisation=organisation)
        # A staff session: a coordinator sees the subscriptions it created and those following its regions.
        return subscriptions.filter(pk__in=subscriptions_visible_to(self.request.user).values("pk"))

    def create_record(self, data):
        return create_subscription(actor=self.actor, **data)

    def update_record(self, subscription, data):
        return update_subscription(subscription=subscription, actor=self.actor, **data)

    def destroy(self, request, *args, **kwargs):
        stop_subscription(subscription=self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CapFeedView(StrictQueryParameters, APIView):
    """Status-change alerts as CAP 1.2 in an Atom feed, newest first (at most 100)."""

    query_parameters = ("within",)

    permission_classes = [HasReadScope]
    # Errors are JSON, in the API's one error shape; the feed itself is written as XML below.
    renderer_classes = [ORJSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # A hub asking for application/atom+xml gets the feed, not a 406 from the JSON-only renderers.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="CAP 1.2 feed of access status alerts",
        parameters=[
            OpenApiParameter(
                "within",
                OpenApiTypes.STR,
                pattern=API_PCODE_PATTERN,
                description="Only regions within this p-code (e.g. AF08); one that names no region is a 400.",
            )
        ],
        responses={(200, "application/atom+xml"): OpenApiResponse(OpenApiTypes.STR, description="Atom + CAP 1.2")},
    )
    def get(self, request):
        within = request.query_params.get("within")
        if within is not None:
            within = region_for_parameter("within", within).pcode
        feed = cap_feed(status_change_events(within or None), feed_url=request.build_absolute_uri())
        return HttpResponse(feed, content_type="application/atom+xml; charset=utf-8")
