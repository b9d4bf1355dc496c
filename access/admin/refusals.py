"""Saying no to a coordinator with the reason: which regions they cover, and what lies outside them.

A coordinator changes their assigned regions and everything under them (access.policies).
When a change, a status form, an action or a direct URL reaches a record outside them, the admin says
so in a sentence ("You cover Panjsher (AF08), Parwan (AF03); Kandahar (AF23) is not among them") on a
403 page with the admin's look, never a bare "403 Forbidden".
"""

from collections.abc import Iterable

from django.contrib.admin import site as default_site
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from access.models import CoordinatorAssignment, Region


def covered_regions(user) -> list[Region]:
    """The regions assigned to `user`, outermost first (everything under them is theirs too)."""
    if not getattr(user, "is_authenticated", False):
        return []
    assignments = CoordinatorAssignment.objects.filter(user=user).select_related("region").order_by("region__path")
    return [assignment.region for assignment in assignments]


def names(regions: Iterable) -> str:
    return ", ".join(str(region) for region in regions)


def coverage_sentence(user, outside: Iterable[Region] = ()) -> str:
    """ "You cover Panjsher (AF08), Parwan (AF03); Kandahar (AF23) is not among them." """
    outside = list(outside)
    values = {"covered": names(covered_regions(user)), "outside": names(outside)}
    if values["covered"] and outside:
        message = ngettext(
            "You cover %(covered)s; %(outside)s is not among them.",
            "You cover %(covered)s; %(outside)s are not among them.",
            len(outside),
        )
    elif values["covered"]:
        message = _("You cover %(covered)s.")
    elif outside:
        message = ngettext(
            "You are assigned no region yet, so %(outside)s is not yours to change.",
            "You are assigned no region yet, so %(outside)s are not yours to change.",
            len(outside),
        )
    else:
        message = _("You are assigned no region yet.")
    return message % values


def refusal_response(request, *, outside: Iterable[Region] = (), what: str = "", admin_site=None, back_url: str = ""):
    """A 403 page that says why: what was refused and which regions the user covers."""
    site = admin_site or default_site
    outside = list(outside)
    context = {
        **site.each_context(request),
        "title": _("Not one of your regions") if outside else _("You may not do this"),
        "subtitle": None,
        "what": what,
        "coverage": coverage_sentence(request.user, outside),
        "back_url": back_url,
    }
    return TemplateResponse(request, "admin/access/refused.html", context, status=403)
