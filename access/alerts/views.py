"""The one-click unsubscribe page: works without logging in, and does nothing but unsubscribe."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from access.models import Subscription

from . import subscriptions
from .emails import subscription_id_from_token


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" to the link with no cookie and no CSRF
# token; the signed token in the URL is the proof. A GET only shows a button, because link scanners
# and previews open every link in an email.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str) -> HttpResponse:
    subscription_id = subscription_id_from_token(token)
    subscription = Subscription.objects.filter(pk=subscription_id).first() if subscription_id else None
    if subscription is None:
        return render(request, "alerts/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        subscription = subscriptions.unsubscribe(subscription_id=subscription.pk)
        return render(request, "alerts/unsubscribe.html", {"subscription": subscription, "done": True})
    return render(request, "alerts/unsubscribe.html", {"subscription": subscription, "done": not subscription.active})


# Laid out for the pages of issue 14 (get alerts, confirm, manage); built on their branch.
def get_alerts(request) -> HttpResponse:
    raise Http404


def confirm(request, token: str) -> HttpResponse:
    raise Http404


def manage(request, token: str) -> HttpResponse:
    raise Http404
