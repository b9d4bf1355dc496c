"""Status-change alerts as CAP 1.2 (OASIS Common Alerting Protocol), in an Atom feed.

Alerting hubs ingest an Atom feed whose entries carry CAP alerts. Each entry here embeds its whole
<alert> (content type application/cap+xml), so one request gives a hub everything. CAP's required
elements are all present, in the schema's order: identifier, sender, sent, status, msgType, scope,
and per <info> category, event, urgency, severity, certainty, with an <area> whose areaDesc names the
region and whose geocode gives its p-code.
"""

from datetime import datetime
from typing import Any, cast
from xml.etree import ElementTree as ET  # noqa: S405  (we write XML; we never parse untrusted XML here)

from django.db.models import Exists, OuterRef, QuerySet

from access.choices import AccessStatus, Confidence
from access.models import AlertEvent, StatusChange
from access.selectors.regions import within_filter

from .emails import DOMAIN, alert_item

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_LIMIT = 100

# What a status means for people on the ground, on CAP's severity scale.
SEVERITY: dict[str, str] = {
    AccessStatus.ACCESSIBLE: "Minor",
    AccessStatus.CONSTRAINED: "Moderate",
    AccessStatus.SEVERELY_CONSTRAINED: "Severe",
    AccessStatus.INACCESSIBLE: "Extreme",
    AccessStatus.UNKNOWN: "Unknown",
}
# Our confidence on CAP's certainty scale: a confirmed change was observed; a claim is only possible.
CERTAINTY: dict[str, str] = {
    Confidence.CONFIRMED: "Observed",
    Confidence.REPORTED: "Likely",
    Confidence.CLAIMED: "Possible",
    Confidence.UNVERIFIED: "Unknown",
}


def status_change_events(within: str | None = None) -> QuerySet[AlertEvent]:
    """Status-change alerts for the CAP feed, newest first, optionally within a region (p-code)."""
    events = AlertEvent.objects.filter(kind=AlertEvent.Kind.STATUS_CHANGE).select_related(
        "status_before_from",
        "status_change__region",
        "status_change__source",
        "status_change__organisation",
        "status_change__recorded_by",
    )
    if within:
        # Within a region: a change that reaches a region there, its own or one it gives its status to
        # (Panjsher's change is within AF0801 when Bazarak takes Panjsher's status).
        reaches = AlertEvent.reached_regions.through.objects.filter(alertevent=OuterRef("pk"))
        events = events.filter(Exists(reaches.filter(within_filter(within, "region"))))
    return events.order_by("-created_at", "-id")


def cap_datetime(value: datetime) -> str:
    # CAP 1.2 §3.3.2: an explicit offset, never "Z"; UTC is written "-00:00".
    text = value.strftime("%Y-%m-%dT%H:%M:%S%z")
    offset = text[-5:]
    offset = "-00:00" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    return text[:-5] + offset


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = CAP_NS) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _polygons(boundary: dict[str, Any] | None) -> list[str]:
    """GeoJSON outer rings as CAP polygons ("lat,lon lat,lon ..."), closed as CAP requires."""
    if not boundary:
        return []
    if boundary.get("type") == "Polygon":
        rings = [boundary["coordinates"][0]]
    elif boundary.get("type") == "MultiPolygon":
        rings = [polygon[0] for polygon in boundary["coordinates"]]
    else:
        return []
    polygons = []
    for ring in rings:
        points = [f"{lat:.5f},{lon:.5f}" for lon, lat, *_ in ring]
        if len(points) >= 4 and points[0] == points[-1]:
            polygons.append(" ".join(points))
    return polygons


def cap_identifier(event: AlertEvent) -> str:
    return f"humtrack-{DOMAIN}-status-{event.status_change_id}"


def cap_alert(event: AlertEvent, parent: ET.Element | None = None) -> ET.Element:
    """One status change as a CAP <alert> element."""
    # A status_change event has its status change (AlertEvent's check constraint alert_event_one_change).
    change = cast(StatusChange, event.status_change)
    region = change.region
    item = alert_item(event)
    alert = ET.SubElement(parent, f"{{{CAP_NS}}}alert") if parent is not None else ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", cap_identifier(event))
    _sub(alert, "sender", f"alerts@{DOMAIN}")
    _sub(alert, "sent", cap_datetime(event.created_at))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", "Alert")
    _sub(alert, "scope", "Public")
    info = _sub(alert, "info")
    _sub(info, "language", "en")
    _sub(info, "category", "Security")
    # Judged on the effective status before → after (access.selectors.status), as the emails are. A
    # correction of history changes no status in force: CAP's urgency "Past" (no action now), the
    # severity of the status that stays in force.
    if event.became_current:
        _sub(info, "event", f"Humanitarian access {item.to_label}")
        worsening = AccessStatus.is_worsening(event.status_before, event.status_after)
        _sub(info, "urgency", "Immediate" if worsening else "Unknown")
    else:
        _sub(info, "event", f"Humanitarian access: correction of history ({change.get_to_status_display().lower()})")
        _sub(info, "urgency", "Past")
    _sub(info, "severity", SEVERITY.get(event.status_after or change.to_status, "Unknown"))
    _sub(info, "certainty", CERTAINTY.get(change.confidence, "Unknown"))
    _sub(info, "effective", cap_datetime(change.effective_at))
    _sub(info, "senderName", "humtrack")
    _sub(info, "headline", item.title[:160])
    note = f"{item.note}\n\n" if item.note else ""
    _sub(info, "description", f"{note}{change.reason}\n\nSource: {item.source} ({item.confidence.lower()}).")
    _sub(info, "web", item.link)
    for name, value in (
        ("humtrack:access_status", change.to_status),
        ("humtrack:previous_access_status", change.from_status),
        ("humtrack:confidence", change.confidence),
        ("humtrack:status_in_force", event.status_after),
        ("humtrack:correction_of_history", "false" if event.became_current else "true"),
    ):
        parameter = _sub(info, "parameter")
        _sub(parameter, "valueName", name)
        _sub(parameter, "value", value)
    area = _sub(info, "area")
    _sub(area, "areaDesc", f"{region.name} ({region.pcode})")
    for polygon in _polygons(region.boundary):
        _sub(area, "polygon", polygon)
    geocode = _sub(area, "geocode")
    _sub(geocode, "valueName", "PCODE")
    _sub(geocode, "value", region.pcode)
    return alert


def cap_feed(events: QuerySet[AlertEvent], *, feed_url: str) -> bytes:
    """An Atom feed of the latest status-change alerts, each entry carrying its CAP alert."""
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("cap", CAP_NS)
    latest = list(events[:FEED_LIMIT])
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", feed_url, ATOM_NS)
    _sub(feed, "title", "humtrack: humanitarian access alerts", ATOM_NS)
    updated = latest[0].created_at if latest else None
    _sub(feed, "updated", (updated.isoformat() if updated else "1970-01-01T00:00:00+00:00"), ATOM_NS)
    author = _sub(feed, "author", None, ATOM_NS)
    _sub(author, "name", "humtrack", ATOM_NS)
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=feed_url)
    for event in latest:
        item = alert_item(event)
        entry = _sub(feed, "entry", None, ATOM_NS)
        _sub(entry, "id", f"urn:humtrack:{cap_identifier(event)}", ATOM_NS)
        _sub(entry, "title", item.title, ATOM_NS)
        _sub(entry, "updated", event.created_at.isoformat(), ATOM_NS)
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=item.link)
        content = _sub(entry, "content", None, ATOM_NS)
        content.set("type", "application/cap+xml")
        cap_alert(event, parent=content)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
