"""Access resources, one module per concept: regions (by p-code, with their status history and
changes), corridors (with their status changes), restrictions and outages (facts), sources.

Thin: reads through access.selectors, writes through access.services, attributed to the token's
organisation (humtrack.api.permissions.request_actor).
"""
