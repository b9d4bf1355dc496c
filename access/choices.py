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
