"""The coordinators' admin: one module per concept, each registering its models."""

from . import alerts, corridors, outages, regions, restrictions, sources  # noqa: F401
