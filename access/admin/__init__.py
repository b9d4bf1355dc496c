"""The coordinators' admin: one module per concept, each registering its models (the alert pipeline's
in access/alerts/admin.py, with the rest of the pipeline)."""

from access.alerts import admin as alerts_admin  # noqa: F401
from access.alerts.webhooks import admin as webhooks_admin  # noqa: F401

from . import coordinators, corridors, incidents, outages, regions, restrictions, severity, sources, status  # noqa: F401
