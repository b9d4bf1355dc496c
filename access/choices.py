"""The value sets partners code against. Machine values are a contract: never rename one."""

from django.db import models


class AccessStatus(models.TextChoices):
    """Ordered: accessible < constrained < severely_constrained < inaccessible; unknown stands outside.

    Unknown is a status of its own ("the UN has no precise information on the humanitarian situation
    in Panjshir"), not a missing value.
    """

    ACCESSIBLE = "accessible", "Accessible"
    CONSTRAINED = "constrained", "Constrained"
    SEVERELY_CONSTRAINED = "severely_constrained", "Severely constrained"
    INACCESSIBLE = "inaccessible", "Inaccessible"
    UNKNOWN = "unknown", "Unknown"

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
    CONFIRMED = "confirmed", "Confirmed"
    REPORTED = "reported", "Reported"
    CLAIMED = "claimed", "Claimed (by a party to the conflict)"
    UNVERIFIED = "unverified", "Unverified"


class CorridorStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESTRICTED = "restricted", "Restricted"
    CLOSED = "closed", "Closed"


class SourceKind(models.TextChoices):
    UN_STATEMENT = "un_statement", "UN statement"
    AGENCY_REPORT = "agency_report", "Agency report"
    PARTNER_REPORT = "partner_report", "Partner report"
    MEDIA = "media", "Media"
    SOCIAL_MEDIA = "social_media", "Social media"


class Reliability(models.TextChoices):
    """Source reliability, the Admiralty (NATO) grading that access units use."""

    A = "A", "A – completely reliable"
    B = "B", "B – usually reliable"
    C = "C", "C – fairly reliable"
    D = "D", "D – not usually reliable"
    E = "E", "E – unreliable"
    F = "F", "F – reliability cannot be judged"


class ConstraintCategory(models.TextChoices):
    """ACAPS access-constraint indicators (on OCHA's Access Monitoring and Reporting Framework).

    Codes are ours; names and pillars as in access/fixtures/access_constraint_categories.csv.
    """

    DENIAL_OF_NEEDS = "denial_of_needs", "Denial of existence of humanitarian needs or entitlements to assistance"
    RESTRICTED_ACCESS_TO_SERVICES = (
        "restricted_access_to_services",
        "Restriction and obstruction of access to services and assistance",
    )
    ENTRY_IMPEDIMENTS = "entry_impediments", "Impediments to entry into the country (bureaucratic and administrative)"
    MOVEMENT_RESTRICTIONS = (
        "movement_restrictions",
        "Restriction of movement within the country (impediments to freedom of movement or "
        "administrative restrictions)",
    )
    INTERFERENCE = "interference", "Interference into implementation of humanitarian activities"
    VIOLENCE_AGAINST_AID = "violence_against_aid", "Violence against humanitarian personnel, facilities and assets"
    HOSTILITIES = "hostilities", "Ongoing insecurity or hostilities affecting humanitarian assistance"
    EXPLOSIVE_HAZARDS = "explosive_hazards", "Presence of mines and improvised explosive devices"
    PHYSICAL_ENVIRONMENT = (
        "physical_environment",
        "Physical constraints in the environment (terrain, climate, lack of infrastructure)",
    )


class Severity(models.TextChoices):
    """Ordered from least to most severe (ACAPS's scale, without 'no constraints')."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"
    EXTREME = "extreme", "Extreme"


class AffectedGroupCode(models.TextChoices):
    ALL_AID_WORKERS = "all_aid_workers", "All aid workers"
    WOMEN_AID_WORKERS = "women_aid_workers", "Women aid workers"
    NATIONAL_STAFF = "national_staff", "National staff"
    INTERNATIONAL_STAFF = "international_staff", "International staff"
    GOODS_AND_SUPPLIES = "goods_and_supplies", "Goods and supplies"
    AFFECTED_POPULATION = "affected_population", "The affected population"


class Utility(models.TextChoices):
    ELECTRICITY = "electricity", "Electricity"
    INTERNET = "internet", "Internet"
    MOBILE_NETWORK = "mobile_network", "Mobile network"
    LANDLINE = "landline", "Landline"
    WATER = "water", "Water"
    FUEL = "fuel", "Fuel"


class OutageCause(models.TextChoices):
    DELIBERATE_CUT = "deliberate_cut", "Deliberate cut"
    CONFLICT_DAMAGE = "conflict_damage", "Damage from fighting"
    TECHNICAL_FAILURE = "technical_failure", "Technical failure"
    SUPPLY_SHORTAGE = "supply_shortage", "Supply shortage"
    NATURAL_HAZARD = "natural_hazard", "Natural hazard"
    UNKNOWN = "unknown", "Unknown"


class OutageExtent(models.TextChoices):
    FULL = "full", "Full"
    PARTIAL = "partial", "Partial"
    UNKNOWN = "unknown", "Unknown"


class StatusBasis(models.TextChoices):
    """Where a region's effective status comes from.

    `recorded`: a status record of its own. `inherited`: none of its own; the status of its nearest
    ancestor that has one (`status_from`). `none`: no record on it or above it — shown as "no
    information recorded", never as a recorded `unknown` (which is a statement, with a source).
    """

    RECORDED = "recorded", "Recorded"
    INHERITED = "inherited", "Inherited"
    NONE = "none", "No information recorded"
