"""What a webhook event carries as `data`: the record as the partner API shows it at the time of the change.

Each payload is built by the API's own selector and output serializer (access/api/serializers.py), so a
partner's GET of the record right after the change answers the same JSON. Read inside the change's
transaction, after everything the change writes (its groups, its region's counts) is written.

An incident goes to every organisation's endpoints, so its payload is what anyone may read of it: the
description and point of a non-public incident are withheld (null, `details_withheld: true`), as for an
anonymous reader of the API.

Need figures are the needs app's (needs/webhooks.py): access may not import needs.
"""

from typing import Any

from access.api.incident_serializers import IncidentSerializer
from access.api.serializers import CorridorSerializer, OutageSerializer, RegionSerializer, RestrictionSerializer
from access.models import AccessRestriction, AidCorridor, Incident, Region, UtilityOutage
from access.selectors.facts import corridors_with_route, outages_with_region, restrictions_with_groups
from access.selectors.incidents import incidents_listed, with_details_visible
from access.selectors.regions import regions_with_summary
from access.selectors.status import attach_effective_status, with_effective_status
from humtrack.actor import Actor

# Whom an incident's payload is written for: nobody in particular, so anyone (the public's view).
EVERY_ENDPOINT = Actor()


def region_payload(region: Region) -> dict[str, Any]:
    """GET /api/v1/regions/{pcode}/: the effective status, its basis, since when, the active counts."""
    annotated = with_effective_status(regions_with_summary()).get(pk=region.pk)
    return dict(RegionSerializer(attach_effective_status([annotated])[0]).data)


def corridor_payload(corridor: AidCorridor) -> dict[str, Any]:
    return dict(CorridorSerializer(corridors_with_route().get(pk=corridor.pk)).data)


def restriction_payloads(restrictions: list[AccessRestriction]) -> list[dict[str, Any]]:
    stored = restrictions_with_groups().in_bulk([restriction.pk for restriction in restrictions])
    return [dict(RestrictionSerializer(stored[restriction.pk]).data) for restriction in restrictions]


def outage_payloads(outages: list[UtilityOutage]) -> list[dict[str, Any]]:
    stored = outages_with_region().in_bulk([outage.pk for outage in outages])
    return [dict(OutageSerializer(stored[outage.pk]).data) for outage in outages]


def incident_payload(incident: Incident) -> dict[str, Any]:
    """GET /api/v1/incidents/{id}/ as an anonymous reader would get it: details of a non-public incident withheld."""
    return dict(IncidentSerializer(with_details_visible(incidents_listed(), EVERY_ENDPOINT).get(pk=incident.pk)).data)
