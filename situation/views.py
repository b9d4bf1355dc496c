"""The situation page: a map of access, needs against reach and what changed, for people with an account."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import formats, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from access.alerts import views as signed_link_pages
from access.alerts.links import manage_url, region_page_reader
from access.choices import ACCESS_STATUS_ORDER, AccessStatus, CorridorStatus
from access.models import Region, Subscription
from access.selectors.regions import search_regions

from . import presenters, selectors
from .forms import RegionSearchForm, SituationFilterForm
from .region_page import region_page as region_page_context

# The most regions a search lists: a name fragment ("a") can match hundreds of districts.
SEARCH_RESULTS_LIMIT = 20

LOGIN_URL = reverse_lazy("situation:login")
DETAILS_PCODE_PLACEHOLDER = "PCODE"


class LoginView(auth_views.LoginView):
    """Any active account may sign in here (the admin's login admits staff only)."""

    template_name = "situation/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return self.get_redirect_url() or str(reverse_lazy("situation:page"))


class LogoutView(auth_views.LogoutView):
    next_page = "situation:login"  # a URL pattern's name: resolve_url reverses it


def legend() -> list[dict]:
    """The ordered scale, then unknown, which stands outside it."""
    ordered = [AccessStatus(status) for status in sorted(ACCESS_STATUS_ORDER, key=ACCESS_STATUS_ORDER.__getitem__)]
    return [{"value": s.value, "label": s.label} for s in [*ordered, AccessStatus.UNKNOWN]]


def picture_caption(*, as_of, at, area: Region | None) -> str:
    """ "The picture now (1 September 2021, 14:00 UTC): Panjsher and the regions under it." in the
    reader's language; times stay UTC (a coordinator has no zone of their own) and say so."""
    if as_of:
        when = _("The picture at the end of %(day)s (UTC)") % {"day": formats.date_format(as_of, "j F Y")}
    else:
        when = _("The picture now (%(time)s UTC)") % {"time": formats.date_format(at, "j F Y, H:i")}
    if area is None:
        return _("%(when)s.") % {"when": when}
    name = area.localised_name(get_language() or "en")
    if area.admin_level < Region.Level.DISTRICT:
        return _("%(when)s: %(area)s and the regions under it.") % {"when": when, "area": name}
    return _("%(when)s: %(area)s.") % {"when": when, "area": name}


def found_regions(search_form: RegionSearchForm) -> tuple[str, list[Region]]:
    """The search's text and the regions it finds (by any name or p-code), provinces before districts."""
    text = search_form.cleaned_data.get("q", "") if search_form.is_valid() else ""
    if not text.strip():
        return "", []
    found = search_regions(text).select_related("parent").order_by("admin_level", "path")
    return text, list(found[:SEARCH_RESULTS_LIMIT])


@require_safe
@login_required(login_url=LOGIN_URL)
def situation_page(request):
    # The search box has its own field (`q`): the filters see only theirs.
    filters = request.GET.copy()
    filters.pop("q", None)
    form = SituationFilterForm(filters or None)
    search_form = RegionSearchForm(request.GET)
    search_text, found = found_regions(search_form)
    valid = form.is_valid() if form.is_bound else True
    within = form.cleaned_data.get("within") if valid and form.is_bound else None
    as_of = form.cleaned_data.get("as_of") if valid and form.is_bound else None
    at = selectors.moment(as_of)

    regions = selectors.map_regions(within=within, at=at)
    corridors = selectors.map_corridors(within=within, at=at)
    area = Region.objects.get(pcode=within) if within else selectors.default_area()
    stale = [shown for shown in regions if shown.is_stale]
    flagged = [shown for shown in regions if shown.review is not None]
    context = {
        "form": form,
        "search_form": search_form,
        "search_text": search_text,
        "found_regions": found,
        "picture_caption": picture_caption(as_of=as_of, at=at, area=area),
        "within": within,
        "as_of": as_of,
        "at": at,
        "area": area,
        "legend": legend(),
        "corridor_legend": [{"value": s.value, "label": s.label} for s in CorridorStatus],
        "regions": regions,
        "stale_regions": stale,
        "stale_pcodes": {shown.region.pcode for shown in stale},
        "stale_after_days": settings.HUMTRACK_STALE_AFTER_DAYS,
        "flagged_regions": flagged,
        "corridors": corridors,
        "what_changed": selectors.what_changed(within=within, at=at),
        "recent": presenters.recent_changes_data(
            selectors.changed_in_last_day(within=within, at=at), time_zone=presenters.reader_time_zone(area)
        ),
        "needs": presenters.area_needs(area, as_of) if area else None,
        "map_data": presenters.map_data(
            regions=regions, corridors=corridors, boundaries=selectors.boundaries(regions), as_of=as_of
        ),
        "page_config": {
            # The script swaps the placeholder for the p-code of the region clicked.
            "details_url": reverse("situation:region-details", kwargs={"pcode": DETAILS_PCODE_PLACEHOLDER}),
            "placeholder": DETAILS_PCODE_PLACEHOLDER,
            "as_of": as_of.isoformat() if as_of else None,
            "selected": within,
            "stale_after_days": settings.HUMTRACK_STALE_AFTER_DAYS,
        },
    }
    # Bad filters: say so, with the full picture beneath, and a 400 so no one mistakes it for the filtered one.
    return render(request, "situation/page.html", context, status=200 if valid else 400)


def json_login_required(view):
    """For the page's script: a 403 in JSON, not a redirect to a login form it cannot show."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": _("Log in to see the situation.")}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@json_login_required
def region_details(request, pcode):
    """One region's details at `as_of` (or now), for the details panel."""
    form = SituationFilterForm({"as_of": request.GET.get("as_of", "")})
    if not form.is_valid():
        return JsonResponse({"as_of": form.errors.get("as_of", [])}, status=400)
    region = Region.objects.select_related("parent").filter(pcode=pcode.upper()).first()
    if region is None:
        return JsonResponse({"detail": _("No region has the p-code %(pcode)s.") % {"pcode": pcode.upper()}}, status=404)
    as_of = form.cleaned_data["as_of"]
    return JsonResponse(presenters.region_details(region=region, at=selectors.moment(as_of), as_of=as_of))


@require_safe
def region_page(request, pcode: str, token: str):
    """The page an alert email's region link opens, without an account: the region as its subscriber
    may see it, in their language and time zone. Signed in, the full situation page on that region."""
    pcode = pcode.upper()
    if request.user.is_authenticated:
        return redirect(f"{reverse('situation:page')}?{urlencode({'within': pcode})}")
    subscription_id = region_page_reader(token, pcode)
    subscription = Subscription.objects.filter(pk=subscription_id).first() if subscription_id else None
    region = Region.objects.select_related("parent").filter(pcode=pcode).first() if subscription else None
    if subscription is None or region is None:
        # The same readable 404 and headers as the alerts' pages behind signed links.
        return signed_link_pages.invalid_link(request, 404)
    with translation.override(subscription.language):
        context = {**region_page_context(region=region, subscription=subscription)}
        context["manage_url"] = manage_url(subscription.pk)
        response = render(request, "situation/region_page.html", context)
    return signed_link_pages.private(response, subscription.language)
