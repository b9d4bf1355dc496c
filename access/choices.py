"""The value sets partners code against. Machine values are a contract: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessStatus(models.TextChoices):
    """Ordered: accessible < constrained < severely_constrained < inaccessible; unknown stands outside.

    Unknown is a status of its own ("the UN has no precise information on the humanitarian situation
    in Panjshir"), not a missing value.
    """

    ACCESSIBLE = "accessible", _("Accessible")
    CONSTRAINED = "constrained", _("Constrained")
    SEVERELY_CONSTRAINED = "severely_constrained", _("Severely constrained")
    INACCESSIBLE = "inaccessible", _("Inaccessible")
    UNKNOWN = "unknown", _("Unknown")

    @classmethod
    def rank(cls, value: str) -> int | None:
        """Position on the ordered scale; None for unknown, which is not comparable."""
        return ACCESS_STATUS_ORDER.get(value)

    @classmethod
    def is_worsening(cls, old: str, new: str) -> bool:
        old_rank, new_rank = cls.rank(old), cls.rank(new)
        return old_rank is not None and new_rank is not None and new_rank > old_rank


ACCESS_STATUS_ORDER: dict[str, int] = {
    AccessStatus.ACCESSIBLE: 0,
    AccessStatus.CONSTRAINED: 1,
    AccessStatus.SEVERELY_CONSTRAINED: 2,
    AccessStatus.INACCESSIBLE: 3,
}


class Confidence(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    REPORTED = "reported", _("Reported")
    CLAIMED = "claimed", _("Claimed (by a party to the conflict)")
    UNVERIFIED = "unverified", _("Unverified")


class CorridorStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESTRICTED = "restricted", _("Restricted")
    CLOSED = "closed", _("Closed")


class SourceKind(models.TextChoices):
    UN_STATEMENT = "un_statement", _("UN statement")
    AGENCY_REPORT = "agency_report", _("Agency report")
    PARTNER_REPORT = "partner_report", _("Partner report")
    MEDIA = "media", _("Media")
    SOCIAL_MEDIA = "social_media", _("Social media")


class Reliability(models.TextChoices):
    """Source reliability, the Admiralty (NATO) grading that access units use."""

    A = "A", _("A – completely reliable")
    B = "B", _("B – usually reliable")
    C = "C", _("C – fairly reliable")
    D = "D", _("D – not usually reliable")
    E = "E", _("E – unreliable")
    F = "F", _("F – reliability cannot be judged")


class ConstraintCategory(models.TextChoices):
    """ACAPS access-constraint indicators (on OCHA's Access Monitoring and Reporting Framework).

    Codes are ours; names and pillars as in access/fixtures/access_constraint_categories.csv.
    """

    DENIAL_OF_NEEDS = "denial_of_needs", _("Denial of existence of humanitarian needs or entitlements to assistance")
    RESTRICTED_ACCESS_TO_SERVICES = (
        "restricted_access_to_services",
        _("Restriction and obstruction of access to services and assistance"),
    )
    ENTRY_IMPEDIMENTS = (
        "entry_impediments",
        _("Impediments to entry into the country (bureaucratic and administrative)"),
    )
    MOVEMENT_RESTRICTIONS = (
        "movement_restrictions",
        _(
            "Restriction of movement within the country (impediments to freedom of movement or "
            "administrative restrictions)"
        ),
    )
    INTERFERENCE = "interference", _("Interference into implementation of humanitarian activities")
    VIOLENCE_AGAINST_AID = "violence_against_aid", _("Violence against humanitarian personnel, facilities and assets")
    HOSTILITIES = "hostilities", _("Ongoing insecurity or hostilities affecting humanitarian assistance")
    EXPLOSIVE_HAZARDS = "explosive_hazards", _("Presence of mines and improvised explosive devices")
    PHYSICAL_ENVIRONMENT = (
        "physical_environment",
        _("Physical constraints in the environment (terrain, climate, lack of infrastructure)"),
    )


class Severity(models.TextChoices):
    """Ordered from least to most severe (ACAPS's scale, without 'no constraints')."""

    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")
    EXTREME = "extreme", _("Extreme")


class AffectedGroupCode(models.TextChoices):
    ALL_AID_WORKERS = "all_aid_workers", _("All aid workers")
    WOMEN_AID_WORKERS = "women_aid_workers", _("Women aid workers")
    NATIONAL_STAFF = "national_staff", _("National staff")
    INTERNATIONAL_STAFF = "international_staff", _("International staff")
    GOODS_AND_SUPPLIES = "goods_and_supplies", _("Goods and supplies")
    AFFECTED_POPULATION = "affected_population", _("The affected population")


class Utility(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    INTERNET = "internet", _("Internet")
    MOBILE_NETWORK = "mobile_network", _("Mobile network")
    LANDLINE = "landline", _("Landline")
    WATER = "water", _("Water")
    FUEL = "fuel", _("Fuel")


class OutageCause(models.TextChoices):
    DELIBERATE_CUT = "deliberate_cut", _("Deliberate cut")
    CONFLICT_DAMAGE = "conflict_damage", _("Damage from fighting")
    TECHNICAL_FAILURE = "technical_failure", _("Technical failure")
    SUPPLY_SHORTAGE = "supply_shortage", _("Supply shortage")
    NATURAL_HAZARD = "natural_hazard", _("Natural hazard")
    UNKNOWN = "unknown", _("Unknown")


class OutageExtent(models.TextChoices):
    FULL = "full", _("Full")
    PARTIAL = "partial", _("Partial")
    UNKNOWN = "unknown", _("Unknown")


class StatusBasis(models.TextChoices):
    """Where a region's effective status comes from.

    `recorded`: a status record of its own. `inherited`: none of its own; the status of its nearest
    ancestor that has one (`status_from`). `none`: no record on it or above it — shown as "no
    information recorded", never as a recorded `unknown` (which is a statement, with a source).
    """

    RECORDED = "recorded", _("Recorded")
    INHERITED = "inherited", _("Inherited")
    NONE = "none", _("No information recorded")


class ConstraintPillar(models.TextChoices):
    """ACAPS's three pillars of humanitarian access; each indicator (ConstraintCategory) is in one."""

    ACCESS_OF_PEOPLE_IN_NEED = "access_of_people_in_need", _("Access of people in need to humanitarian aid")
    ACCESS_OF_HUMANITARIAN_ACTORS = (
        "access_of_humanitarian_actors",
        _("Access of humanitarian actors to people in need"),
    )
    SECURITY_AND_PHYSICAL_CONSTRAINTS = "security_and_physical_constraints", _("Security and physical constraints")


# As in access/fixtures/access_constraint_categories.csv (ACAPS Humanitarian Access methodology).
PILLAR_OF_CATEGORY: dict[str, str] = {
    ConstraintCategory.DENIAL_OF_NEEDS: ConstraintPillar.ACCESS_OF_PEOPLE_IN_NEED,
    ConstraintCategory.RESTRICTED_ACCESS_TO_SERVICES: ConstraintPillar.ACCESS_OF_PEOPLE_IN_NEED,
    ConstraintCategory.ENTRY_IMPEDIMENTS: ConstraintPillar.ACCESS_OF_HUMANITARIAN_ACTORS,
    ConstraintCategory.MOVEMENT_RESTRICTIONS: ConstraintPillar.ACCESS_OF_HUMANITARIAN_ACTORS,
    ConstraintCategory.INTERFERENCE: ConstraintPillar.ACCESS_OF_HUMANITARIAN_ACTORS,
    ConstraintCategory.VIOLENCE_AGAINST_AID: ConstraintPillar.ACCESS_OF_HUMANITARIAN_ACTORS,
    ConstraintCategory.HOSTILITIES: ConstraintPillar.SECURITY_AND_PHYSICAL_CONSTRAINTS,
    ConstraintCategory.EXPLOSIVE_HAZARDS: ConstraintPillar.SECURITY_AND_PHYSICAL_CONSTRAINTS,
    ConstraintCategory.PHYSICAL_ENVIRONMENT: ConstraintPillar.SECURITY_AND_PHYSICAL_CONSTRAINTS,
}


class IncidentType(models.TextChoices):
    """What happened, under its AMRF / ACAPS category (INCIDENT_TYPES_BY_CATEGORY): a short controlled
    list, so that a month's incidents count by type across partners."""

    # Denial of the existence of humanitarian needs or entitlements to assistance
    NEEDS_DENIED = "needs_denied", _("Authorities deny that needs exist")
    ENTITLEMENT_DENIED = "entitlement_denied", _("People denied their entitlement to assistance")
    # Restriction and obstruction of access to services and assistance
    POPULATION_PREVENTED_FROM_AID = "population_prevented_from_aid", _("People prevented from reaching aid or services")
    AID_DIVERTED = "aid_diverted", _("Aid diverted from the people it was for")
    ELECTRICITY_CUT = "electricity_cut", _("Electricity supply cut to the population")
    TELECOMMUNICATIONS_CUT = "telecommunications_cut", _("Internet or telephone connection cut")
    # Impediments to entry into the country
    VISA_REFUSED = "visa_refused", _("Visa or work permit refused or delayed")
    ENTRY_DENIED = "entry_denied", _("Entry into the country denied")
    SUPPLIES_HELD_AT_BORDER = "supplies_held_at_border", _("Supplies held at the border or in customs")
    # Restriction of movement within the country
    CHECKPOINT_DENIAL = "checkpoint_denial", _("Passage denied at a checkpoint")
    CONVOY_BLOCKED = "convoy_blocked", _("Convoy blocked or turned back")
    TRAVEL_AUTHORISATION_REFUSED = "travel_authorisation_refused", _("Travel authorisation refused")
    WORKERS_UNABLE_TO_ENTER_AREA = "workers_unable_to_enter_area", _("Humanitarian workers unable to enter the area")
    WOMEN_STAFF_MOVEMENT_RESTRICTED = "women_staff_movement_restricted", _("Women aid workers' movement restricted")
    # Interference into implementation of humanitarian activities
    PROGRAMME_INTERFERENCE = "programme_interference", _("Interference in programme design or targeting")
    STAFF_RECRUITMENT_INTERFERENCE = "staff_recruitment_interference", _("Interference in staff recruitment")
    ACTIVITIES_SUSPENDED_BY_ORDER = "activities_suspended_by_order", _("Activities suspended by order")
    # Violence against humanitarian personnel, facilities and assets
    STAFF_KILLED = "staff_killed", _("Aid worker killed")
    STAFF_INJURED = "staff_injured", _("Aid worker injured")
    STAFF_ABDUCTED = "staff_abducted", _("Aid worker abducted")
    STAFF_ARRESTED = "staff_arrested", _("Aid worker arrested or detained")
    STAFF_THREATENED = "staff_threatened", _("Aid worker threatened")
    FACILITY_ATTACKED = "facility_attacked", _("Humanitarian facility attacked")
    FACILITY_OCCUPIED = "facility_occupied", _("Humanitarian facility occupied")
    ASSETS_LOOTED = "assets_looted", _("Humanitarian assets looted or seized")
    # Ongoing insecurity or hostilities affecting humanitarian assistance
    ACTIVE_HOSTILITIES = "active_hostilities", _("Active hostilities in the area of operation")
    FIGHTING_REPORTED = "fighting_reported", _("Fighting reported in the district")
    AIRSTRIKE_OR_SHELLING = "airstrike_or_shelling", _("Airstrike or shelling")
    # Presence of mines and improvised explosive devices
    ROAD_MINED = "road_mined", _("Road mined or an improvised explosive device found")
    EXPLOSIVE_ORDNANCE_CONTAMINATION = "explosive_ordnance_contamination", _("Area contaminated by explosive ordnance")
    # Physical constraints in the environment
    ROAD_IMPASSABLE = "road_impassable", _("Road impassable")
    BRIDGE_DESTROYED = "bridge_destroyed", _("Bridge destroyed or damaged")
    WEATHER_DISRUPTION = "weather_disruption", _("Snow, flood or other weather cut access")


_T = IncidentType
INCIDENT_TYPES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    ConstraintCategory.DENIAL_OF_NEEDS: (_T.NEEDS_DENIED, _T.ENTITLEMENT_DENIED),
    ConstraintCategory.RESTRICTED_ACCESS_TO_SERVICES: (
        _T.POPULATION_PREVENTED_FROM_AID,
        _T.AID_DIVERTED,
        _T.ELECTRICITY_CUT,
        _T.TELECOMMUNICATIONS_CUT,
    ),
    ConstraintCategory.ENTRY_IMPEDIMENTS: (_T.VISA_REFUSED, _T.ENTRY_DENIED, _T.SUPPLIES_HELD_AT_BORDER),
    ConstraintCategory.MOVEMENT_RESTRICTIONS: (
        _T.CHECKPOINT_DENIAL,
        _T.CONVOY_BLOCKED,
        _T.TRAVEL_AUTHORISATION_REFUSED,
        _T.WORKERS_UNABLE_TO_ENTER_AREA,
        _T.WOMEN_STAFF_MOVEMENT_RESTRICTED,
    ),
    ConstraintCategory.INTERFERENCE: (
        _T.PROGRAMME_INTERFERENCE,
        _T.STAFF_RECRUITMENT_INTERFERENCE,
        _T.ACTIVITIES_SUSPENDED_BY_ORDER,
    ),
    ConstraintCategory.VIOLENCE_AGAINST_AID: (
        _T.STAFF_KILLED,
        _T.STAFF_INJURED,
        _T.STAFF_ABDUCTED,
        _T.STAFF_ARRESTED,
        _T.STAFF_THREATENED,
        _T.FACILITY_ATTACKED,
        _T.FACILITY_OCCUPIED,
        _T.ASSETS_LOOTED,
    ),
    ConstraintCategory.HOSTILITIES: (_T.ACTIVE_HOSTILITIES, _T.FIGHTING_REPORTED, _T.AIRSTRIKE_OR_SHELLING),
    ConstraintCategory.EXPLOSIVE_HAZARDS: (_T.ROAD_MINED, _T.EXPLOSIVE_ORDNANCE_CONTAMINATION),
    ConstraintCategory.PHYSICAL_ENVIRONMENT: (_T.ROAD_IMPASSABLE, _T.BRIDGE_DESTROYED, _T.WEATHER_DISRUPTION),
}
del _T


class PerpetratorType(models.TextChoices):
    """Who caused an incident, by type only: never a named person (AMRF)."""

    PARTY_TO_THE_CONFLICT = "party_to_the_conflict", _("Party to the conflict")
    CRIMINAL = "criminal", _("Criminal")
    COMMUNITY = "community", _("Community")
    AUTHORITIES = "authorities", _("Authorities")
    UNKNOWN = "unknown", _("Unknown")


class Sensitivity(models.TextChoices):
    """Who may read an incident's description and point (access.selectors.incidents.visible_incidents).

    Ordered: public < partners < restricted. `public`: everyone, the CAP feed and anonymous pages.
    `partners`: partner tokens and logged-in users. `restricted`: the coordinators of its region (and
    superusers) only.
    """

    PUBLIC = "public", _("Public")
    PARTNERS = "partners", _("Partners and signed-in users")
    RESTRICTED = "restricted", _("Restricted to the region's coordinators")


class SeverityLevel(models.IntegerChoices):
    """ACAPS's overall humanitarian access scale, 0–5 (access.selectors.severity computes it from the
    indicators). "No information" is not a level: it is None (ACAPS marks it X)."""

    NO_CONSTRAINTS = 0, _("No constraints")
    LOW = 1, _("Low constraints")
    MODERATE = 2, _("Moderate constraints")
    HIGH = 3, _("High constraints")
    VERY_HIGH = 4, _("Very high constraints")
    EXTREME = 5, _("Extreme constraints")
