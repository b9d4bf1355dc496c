"""Every write to the access picture goes through a function here."""

from .boundaries import import_boundaries
from .corridors import change_corridor_status, create_corridor, update_corridor
from .incidents import record_incident, update_incident
from .outages import record_outage, restore_outages, update_outage
from .regions import import_regions, save_region
from .restrictions import end_restrictions, record_restriction, update_restriction
from .sources import create_source, update_source
from .status import change_access_status

__all__ = [
    "change_access_status",
    "change_corridor_status",
    "create_corridor",
    "create_source",
    "end_restrictions",
    "import_boundaries",
    "import_regions",
    "record_incident",
    "record_outage",
    "record_restriction",
    "restore_outages",
    "save_region",
    "update_corridor",
    "update_incident",
    "update_outage",
    "update_restriction",
    "update_source",
]
