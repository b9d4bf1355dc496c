"""The pages people use without an account: get alerts (with its confirmation), manage my alerts, and
the one-click unsubscribe.

Each page behind a signed link (confirm, manage, unsubscribe) is written in its subscription's (or
request's) language, sends no Referer (the token is in the URL) and is kept out of caches and search
engines. The writes go through self_service.py and subscriptions.py.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

# django-ratelimit ships no type hints (no stubs, no py.typed): pyproject.toml's mypy overrides.
from django_ratelimit.core import is_ratelimited

from access.models import Region, Subscription
from humtrack.rate_limits import CACHE_UNREACHABLE, allowed_uncounted
from humtrack.security import client_ip_address

from . import links, self_service, subscriptions
from .confirmation import requested_regions
from .emails import subscription_id_from_token, unsubscribe_url
from .forms import FollowSearchForm, GetAlertsForm, PreferencesForm


def private(response: HttpResponse, language: str | None = None) -> HttpResponse:
    """A page behind a signed link: no Referer takes the token to another site, no shared cache keeps the page."""
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with the page's own
    # form POSTs, which Django's CSRF check refuses. Other sites still get no Referer.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    if language:
        # LocaleMiddleware would name the request's language, not the page's.
        response["Content-Language"] = language
    return response


def invalid_link(request: HttpRequest, status: int, language: str | None = None) -> HttpResponse:
    """A readable page for a link that is not (or no longer) valid; it says nothing of what exists."""
    return private(render(request, "alerts/invalid_link.html", status=status), language)


def render_in(request: HttpRequest, language: str, template: str, context: dict, status: int = 200) -> HttpResponse:
    with translation.override(language):
        return private(render(request, template, context, status=status), language)


# --- Get alerts (public) ---------------------------------------------------------------------------
def _address_key(email: str):
    return lambda group, request: email.casefold()


def _ip_key(group: str, request: HttpRequest) -> str:
    return client_ip_address(request) or ""


def _over_rate(request: HttpRequest, *, group: str, key, rate: str) -> bool:
    """Count this request against `rate`; with the cache unreachable, allowed uncounted (humtrack.rate_limits)."""
    try:
        return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
    except CACHE_UNREACHABLE as error:
        return not allowed_uncounted("alerts_signup", error)


@require_http_methods(["GET", "POST"])
def get_alerts(request: HttpRequest) -> HttpResponse:
    """A person asks for alerts; a confirmation email goes to the address, and the page answers the
    same whether or not the address is known (it is never looked up here)."""
    if request.method == "GET":
        if request.GET.get("sent"):
            return render(request, "alerts/get_alerts.html", {"sent": True})
        form = GetAlertsForm(initial={"language": translation.get_language()})
        return render(request, "alerts/get_alerts.html", {"form": form})
    # Every POST from an address counts, valid or not: the limit is on attempts.
    if _over_rate(request, group="alerts-signup-ip", key=_ip_key, rate=settings.ALERTS_SIGNUP_RATE_PER_IP):
        return render(request, "alerts/rate_limited.html", status=429)
    form = GetAlertsForm(request.POST)
    if not form.is_valid():
        return render(request, "alerts/get_alerts.html", {"form": form}, status=400)
    data = form.cleaned_data
    by_address = _address_key(data["email"])
    if _over_rate(request, group="alerts-signup-address", key=by_address, rate=settings.ALERTS_SIGNUP_RATE_PER_ADDRESS):
        return render(request, "alerts/rate_limited.html", status=429)
    sent = self_service.request_alerts(
        email=data["email"],
        regions=data["regions"],
        language=data["language"],
        time_zone=data["time_zone"],
        mode=data["mode"],
    )
    if not sent:
        return render(request, "alerts/get_alerts.html", {"form": form, "not_sent": True}, status=503)
    # Post/redirect/get: a reload does not send another email.
    return HttpResponseRedirect(reverse("alerts:get-alerts") + "?sent=1", status=303)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation email. GET shows a button (mail scanners open every link); POST
    creates the subscription (or adds the regions to the address's own) and shows its manage link."""
    signup = links.confirmed_request(token)
    if signup is None:
        return invalid_link(request, 400)
    language = signup.get("language") or settings.LANGUAGE_CODE
    context: dict = {
        "email": signup["email"],
        "region_names": [region.localised_name(language) for region in requested_regions(signup)],
    }
    if request.method == "POST":
        subscription = self_service.confirm_request(request=signup)
        if subscription is None:
            return render_in(request, language, "alerts/confirm.html", {**context, "no_regions": True}, status=400)
        context.update(confirmed=True, manage_url=links.manage_url(subscription.pk))
    return render_in(request, language, "alerts/confirm.html", context)


# --- Manage my alerts ------------------------------------------------------------------------------
def _manage_subscription(token: str) -> Subscription | None:
    subscription_id = links.manage_subscription_id(token)
    return Subscription.objects.filter(pk=subscription_id).first() if subscription_id else None


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscription = _manage_subscription(token)
    if subscription is None:
        return invalid_link(request, 404)
    here = reverse("alerts:manage", args=[token])
    preferences = PreferencesForm.for_subscription(subscription)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "preferences":
            preferences = PreferencesForm.for_subscription(subscription, request.POST)
            if preferences.is_valid():
                self_service.change_preferences(subscription=subscription, **preferences.cleaned_data)
                return HttpResponseRedirect(f"{here}?saved=1", status=303)
        else:
            done = _manage_action(subscription, action, request.POST.get("pcode", ""))
            if done is not None:
                return HttpResponseRedirect(f"{here}?{urlencode(done)}", status=303)
    search = FollowSearchForm(request.GET or None)
    followed = self_service.followed_regions(subscription)
    followed_pcodes = {shown.region.pcode for shown in followed}
    language = subscription.language
    # The region just unfollowed (its Undo) or followed, named after the redirect that did it.
    unfollowed = Region.objects.filter(pcode=request.GET.get("unfollowed", "")).first()
    followed_now = Region.objects.filter(pcode=request.GET.get("followed", "")).first()
    context = {
        "subscription": subscription,
        "followed": followed,
        "search": search,
        "results": [
            {"region": region, "name": region.localised_name(language), "followed": region.pcode in followed_pcodes}
            for region in search.results()
        ],
        "preferences": preferences,
        "unfollowed": unfollowed,
        "unfollowed_name": unfollowed.localised_name(language) if unfollowed else "",
        "followed_now": followed_now,
        "followed_now_name": followed_now.localised_name(language) if followed_now else "",
        "done": {key for key in ("saved", "paused", "resumed", "unsubscribed", "resubscribed") if key in request.GET},
        "unsubscribe_url": unsubscribe_url(subscription),
    }
    status = 400 if request.method == "POST" else 200
    return render_in(request, language, "alerts/manage.html", context, status=status)


def _manage_action(subscription: Subscription, action: str, pcode: str) -> dict | None:
    """Do a manage page's button; the query string the page shows next (with its undo), or None for
    a request that names no known action or region."""
    if action in ("follow", "unfollow"):
        region = Region.objects.filter(pcode=pcode.strip().upper()).first()
        if region is None:
            return None
        if action == "follow":
            self_service.follow(subscription=subscription, region=region)
            return {"followed": region.pcode}
        self_service.unfollow(subscription=subscription, region=region)
        return {"unfollowed": region.pcode}
    if action == "pause":
        self_service.pause(subscription=subscription)
        return {"paused": 1}
    if action == "resume":
        self_service.resume(subscription=subscription)
        return {"resumed": 1}
    if action == "unsubscribe":
        subscriptions.update_own_subscription(
            subscription=subscription, active=False, reason="Unsubscribed by the subscriber from the manage page"
        )
        return {"unsubscribed": 1}
    if action == "resubscribe":
        subscriptions.resubscribe(subscription_id=subscription.pk)
        return {"resubscribed": 1}
    return None


# --- One-click unsubscribe -------------------------------------------------------------------------
# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" to the link with no cookie and no CSRF
# token; the signed token in the URL is the proof. A GET only shows a button, because link scanners
# and previews open every link in an email.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscription_id = subscription_id_from_token(token)
    subscription = Subscription.objects.filter(pk=subscription_id).first() if subscription_id else None
    if subscription is None:
        return invalid_link(request, 404)
    if request.method == "POST":
        subscription = subscriptions.unsubscribe(subscription_id=subscription.pk) or subscription
    context = {
        "subscription": subscription,
        "done": not subscription.active,
        "region_names": [region.localised_name(subscription.language) for region in subscription.regions.all()],
        # The undo: a POST (with CSRF) to the manage page, whose signed link is the proof.
        "manage_url": reverse("alerts:manage", args=[links.manage_token(subscription.pk)]),
    }
    return render_in(request, subscription.language, "alerts/unsubscribe.html", context)
