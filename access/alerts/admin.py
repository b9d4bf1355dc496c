"""Alerts in the coordinators' admin: subscriptions (paused ones shown), events and deliveries.

Registered when Django's admin imports access.admin (access/admin/__init__.py imports this module).

Deliveries are the pipeline's record of what went out; the admin only reads them, and its one
action, "retry failed", goes through the service that never touches a sent delivery.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from access.admin.mixins import actor_for
from access.models import AlertDelivery, AlertEvent, Subscription
from humtrack.admin import ReadOnlyAdmin

from . import health, subscriptions, sweep
from .choices import DeliveryStatus


class RelayWarningMixin:
    """Coordinators reading subscriptions or deliveries are told when alerts are waiting on the mail relay
    (the emails they would get about it could not go out either)."""

    def changelist_view(self, request, extra_context=None):
        backlog = health.relay_backlog()
        if backlog.degraded:
            messages.warning(
                request,
                ngettext(
                    "%(count)d alert is waiting on the mail relay, the oldest since %(since)s."
                    " It is retried for a day.",
                    "%(count)d alerts are waiting on the mail relay, the oldest since %(since)s."
                    " They are retried for a day.",
                    backlog.waiting,
                )
                % {"count": backlog.waiting, "since": date_format(localtime(backlog.oldest_since), "DATETIME_FORMAT")},
            )
        return super().changelist_view(request, extra_context)


class PausedFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "paused"

    def lookups(self, request, model_admin):
        return [("yes", _("Paused after failures")), ("no", _("Receiving"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(paused_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(paused_at__isnull=True, active=True)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(RelayWarningMixin, SimpleHistoryAdmin):
    list_display = ["email", "name", "followed", "trigger", "mode", "active", "delivery_state", "consecutive_failures"]
    list_filter = [PausedFilter, "active", "mode", "trigger"]
    search_fields = ["email", "name", "^regions__pcode", "regions__name"]
    autocomplete_fields = ["regions"]
    readonly_fields = ["paused_at", "consecutive_failures", "organisation", "created_by", "created_at", "updated_at"]
    fields = [
        "email", "name", "regions", "include_descendants", "trigger", "threshold_status", "include_corridors",
        "mode", "language", "time_zone", "active", "paused_at", "consecutive_failures", "organisation",
        "created_by", "created_at",
    ]  # fmt: skip
    actions = ["resume_selected"]

    def get_queryset(self, request):
        # People's addresses: a coordinator sees only its own and its regions' subscribers.
        visible = subscriptions.subscriptions_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible).prefetch_related("regions")

    # History is an audit trail (no revert), and simple-history's history pages find a record outside
    # get_queryset (through its history rows): check that the caller may see this subscriber before showing a version.
    def revert_disabled(self, request, obj=None):
        return True

    def require_visible(self, request, object_id):
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("No such subscription.")

    def history_view(self, request, object_id, extra_context=None):
        self.require_visible(request, object_id)  # simple-history would fall back to the history rows
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.require_visible(request, object_id)
        if request.method == "POST":
            raise PermissionDenied(_("History is read-only; change the subscription itself."))
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.display(description=_("regions"))
    def followed(self, subscription):
        return ", ".join(region.pcode for region in subscription.regions.all())

    @admin.display(description=_("delivery"), ordering="paused_at")
    def delivery_state(self, subscription):
        if subscription.paused_at:
            return format_html(
                '<strong style="color:#a4001d">paused</strong> since {}', subscription.paused_at.strftime("%d %b %H:%M")
            )
        return "receiving" if subscription.active else "unsubscribed"

    def save_model(self, request, subscription, form, change):
        actor = actor_for(request)
        regions = list(form.cleaned_data.get("regions") or [])
        if change:
            subscriptions.update_subscription_from(subscription=subscription, actor=actor, regions=regions)
        else:
            subscription.created_by = request.user
            subscriptions.create_subscription_from(subscription=subscription, actor=actor, regions=regions)

    @admin.action(description=_("Resume the selected paused subscriptions"), permissions=["change"])
    def resume_selected(self, request, queryset):
        paused = list(queryset.filter(paused_at__isnull=False))
        for subscription in paused:
            subscriptions.resume_subscription(subscription=subscription, actor=actor_for(request))
        message = ngettext("%(count)d subscription resumed.", "%(count)d subscriptions resumed.", len(paused))
        self.message_user(request, message % {"count": len(paused)}, messages.SUCCESS)


@admin.register(AlertEvent)
class AlertEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "change_shown", "state", "recipient_count", "deliveries_link"]
    list_filter = ["kind", "state"]
    date_hierarchy = "created_at"
    list_select_related = ["status_change__region", "corridor_change__corridor"]
    # One tuple for both: Django's admin takes a list or a tuple, and the stubs type the two differently.
    fields = readonly_fields = (
        "kind", "change_shown", "state", "created_at", "fanned_out_at", "recipient_count", "deliveries_link",
    )  # fmt: skip

    @admin.display(description=_("change"))
    def change_shown(self, event):
        return str(event.change)

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, event):
        url = reverse("admin:access_alertdelivery_changelist") + f"?event__id__exact={event.pk}"
        return format_html('<a href="{}">deliveries</a>', url)


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(RelayWarningMixin, ReadOnlyAdmin):
    list_display = ["id", "event", "recipient", "status", "batch_kind", "attempts", "error", "sent_at"]
    list_filter = ["status", "batch_kind"]
    search_fields = ["subscription__email", "message_id"]
    list_select_related = ["subscription", "event__status_change__region", "event__corridor_change__corridor"]
    fields = readonly_fields = (
        "event", "subscription", "status", "batch_kind", "send_after", "attempts", "last_error", "created_at",
        "claimed_at", "sent_at", "message_id",
    )  # fmt: skip
    actions = ["retry_failed"]

    def get_queryset(self, request):
        visible = subscriptions.subscriptions_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(subscription__in=visible)

    @admin.display(description=_("recipient"), ordering="subscription__email")
    def recipient(self, delivery):
        return delivery.subscription.email

    @admin.display(description=_("last error"))
    def error(self, delivery):
        return Truncator(delivery.last_error).chars(80)

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry_failed(self, request, queryset):
        # Counted before the retry, which makes the failed ones pending.
        skipped = queryset.exclude(
            status__in=[DeliveryStatus.FAILED_TEMPORARY, DeliveryStatus.FAILED_PERMANENT]
        ).count()
        count = sweep.retry_failed_deliveries(queryset)
        queued = ngettext(
            "%(count)d failed delivery queued again;", "%(count)d failed deliveries queued again;", count
        ) % {"count": count}
        untouched = ngettext(
            "%(count)d selected was not failed: untouched.",
            "%(count)d selected were not failed: untouched.",
            skipped,
        ) % {"count": skipped}
        self.message_user(request, f"{queued} {untouched}", messages.SUCCESS)
