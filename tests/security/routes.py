"""Every route of the URL configuration, with a concrete URL to call for the role matrix.

Routes are read from `get_resolver()` (admin, API, alerts links, pages, probes), so a route added
anywhere shows up here. URL parameters are filled with the records the matrix aims at: the other
organisation's record, the region outside the coordinator's province.
"""

import re
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from access.models import Region


@dataclass(frozen=True)
class Route:
    name: str  # "admin:access_region_change", or "-" for an unnamed route
    pattern: str  # the full pattern, as written in the URL configuration

    @property
    def key(self) -> str:
        """What the expectations table matches: the name, or the pattern of an unnamed route."""
        return self.name if self.name != "-" else self.pattern

    def __str__(self):
        return f"{self.name} {self.pattern}"


def _pattern_text(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern._route)
    if isinstance(pattern, RegexPattern):
        return pattern._regex.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\.", ".")
    return str(pattern)


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            scope = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _walk(entry.url_patterns, prefix + _pattern_text(entry.pattern), scope)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "-")
            yield Route(name=name, pattern=prefix + _pattern_text(entry.pattern))


def all_routes() -> list[Route]:
    seen, routes = set(), []
    for route in _walk(get_resolver().url_patterns):
        # DRF's format-suffix twins (…\.(?P<format>[a-z0-9]+)/?) answer exactly as their base route.
        if "(?P<format>" in route.pattern or route in seen:
            continue
        seen.add(route)
        routes.append(route)
    return routes


# The admin model a route belongs to: admin/<app_label>/<model_name>/...
ADMIN_MODEL = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/")
# The API resource a route belongs to: api:<basename>-<action>
API_BASENAME = re.compile(r"^api:(?P<basename>[a-z_]+)-")
# The record of the *other* side each resource is aimed at (world.records keys), by model label.
FOREIGN_RECORD = {
    "access.statuschange": "b_status_change",
    "access.aidcorridor": "b_corridor",
    "access.utilityoutage": "b_outage",
    "access.accessrestriction": "b_restriction",
    "access.source": "b_source",
    "access.subscription": "b_subscription_y",
    "access.alertevent": "b_alert_event",
    "access.alertdelivery": "b_alert_delivery",
    "access.webhookendpoint": "b_webhook_endpoint",
    "access.webhookdelivery": "b_webhook_delivery",
    "needs.needfigure": "b_need",
    "access.severityoverride": "b_severity_override",
    "access.incident": "b_incident",
    "humtrack.apitoken": "b_token",
    "axes.accessattempt": "access_attempt",
    "axes.accesslog": "access_log",
    "axes.accessfailurelog": "access_failure_log",
}
API_MODEL = {
    "corridor": "access.aidcorridor",
    "restriction": "access.accessrestriction",
    "outage": "access.utilityoutage",
    "source": "access.source",
    "need": "needs.needfigure",
    "subscription": "access.subscription",
    "webhook": "access.webhookendpoint",
    "incident": "access.incident",
}


def foreign_object(world, label: str):
    """The record of `label` that belongs to organisation B / province Y (or the nearest thing)."""
    if label in FOREIGN_RECORD:
        return world.records[FOREIGN_RECORD[label]]
    if label == "access.region":
        return world.tree["AF03"]
    if label == "humtrack.organisation":
        return world.organisation_b
    if label == "auth.user":
        return world.users["field_staff"]  # not the superuser, who would delete themselves
    if label == "auth.group":
        return Group.objects.first()
    return apps.get_model(label)._default_manager.order_by("pk").first()


def _label_for(route: Route) -> str | None:
    if "<path:content_type_id>" in route.pattern:
        return "access.region"  # the admin's "view on site" redirect, aimed at a region
    admin_model = ADMIN_MODEL.match(route.pattern)
    if admin_model:
        return f"{admin_model['app']}.{admin_model['model']}"
    api = API_BASENAME.match(route.name)
    if api:
        return "access.region" if api["basename"] == "region" else API_MODEL.get(api["basename"])
    return None


MISSING_ID = "987654"


def parameter_value(world, route: Route, parameter: str) -> str:
    label = _label_for(route)
    target = foreign_object(world, label) if label else None
    if parameter in ("object_id", "pk", "id"):
        if label is None:
            raise LookupError(f"no record to aim {route} at: add its model to tests/security/routes.py")
        return str(target.pk) if target is not None else MISSING_ID  # e.g. no login attempt recorded yet
    if parameter == "delivery_id":  # a webhook endpoint's delivery (api:webhook-redeliver)
        return str(world.records["b_webhook_delivery"].pk)
    if parameter == "version_id":
        history = getattr(target, "history", None)
        return str(history.order_by("-history_id").first().history_id) if history is not None else MISSING_ID
    if parameter == "pcode":
        return "AF03"
    if parameter == "app_label":
        return "access"
    if parameter == "content_type_id":
        return str(ContentType.objects.get_for_model(Region).pk)
    if parameter == "url":
        return "nowhere/"
    if parameter in ("token", "signed", "uidb64", "key"):
        return "not-a-valid-link"
    raise LookupError(f"no value for URL parameter {parameter!r} of {route}: add one to tests/security/routes.py")


PARAMETER = re.compile(r"<(?:(?P<converter>[a-z_]+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>|(?P<unnamed>\()(?!\?)")
# Unnamed groups, in order (django-simple-history's "<object_id>/history/<version_id>/").
POSITIONAL_PARAMETERS = ("object_id", "version_id")


def _group_end(text: str, start: int) -> int:
    """Index just past the parenthesised group opening at `start`."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "\\":
            continue
        if text[index] == "(" and (index == 0 or text[index - 1] != "\\"):
            depth += 1
        elif text[index] == ")" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index + 1
    raise ValueError(f"unbalanced group in {text!r}")


def url_for(world, route: Route) -> str:
    """A concrete path for `route`, its parameters filled with the records the matrix aims at."""
    text, out, position = route.pattern, [], 0
    positional = iter(POSITIONAL_PARAMETERS)
    while True:
        found = PARAMETER.search(text, position)
        if not found:
            out.append(text[position:])
            break
        out.append(text[position : found.start()])
        if found["group"] or found["unnamed"]:
            name = found["group"] or next(positional)
            out.append(parameter_value(world, route, name))
            position = _group_end(text, found.start())
        else:
            out.append(parameter_value(world, route, found["name"]))
            position = found.end()
    return "/" + "".join(out)
