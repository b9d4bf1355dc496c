"""The Panjshir demo scenario, 31 August – 2 September 2021.

Every fact and source below is from access/fixtures/scenario_panjshir_2021.md (the seed article of
Republic Media Network, 2 Sep 2021, and the documents it quotes; national figures from OCHA's 2021
Humanitarian Needs Overview and Response Plan). Loading is idempotent: each fact is looked up by its
natural key first, and the status service treats a repeated change as a no-op.

Longer than most modules because most of it is the scenario's data, kept beside the few lines that
load it through the services.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from access.choices import (
    AccessStatus,
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    CorridorStatus,
    IncidentType,
    OutageCause,
    OutageExtent,
    PerpetratorType,
    Reliability,
    Sensitivity,
    Severity,
    SourceKind,
    Utility,
)
from access.models import (
    AccessRestriction,
    AidCorridor,
    CoordinatorAssignment,
    Incident,
    Region,
    Source,
    UtilityOutage,
)
from access.roles import ensure_coordinators_group
from access.services import (
    change_access_status,
    create_corridor,
    create_source,
    import_boundaries,
    import_regions,
    record_incident,
    record_outage,
    record_restriction,
)
from access.services.boundaries import read_geojson_features
from access.services.coordinators import assign_coordinator
from access.services.regions import read_admin_csv, read_centroids_csv, read_names_csv, save_region, set_region_names
from humtrack.actor import Actor
from needs.models import NeedFigure
from needs.services import record_need_figure

FIXTURES = Path(__file__).resolve().parent.parent / "access" / "fixtures"
DEMO_COORDINATOR_USERNAME = "coordinator"
DEMO_COORDINATOR_REGIONS = ["AF08", "AF03"]  # Panjshir and Parwan (Jabal Saraj, Salang)


def utc(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=UTC)


# Spellings in the scenario's sources for the COD's names: search finds both.
ALTERNATIVE_NAMES = {
    "AF08": "Panjshir, Panjshir Valley",
    "AF0806": "Shotul, Shatel",
    "AF0305": "Jabal Siraj, Jabal os Saraj",
    "AF0306": "Saland",
}

SOURCES = {
    "S1": dict(
        publisher="United Nations Secretary-General (António Guterres)",
        title="Statement after the last US flight left Kabul",
        kind=SourceKind.UN_STATEMENT,
        reliability=Reliability.A,
        published_at=utc(2021, 8, 31),
    ),
    "S2": dict(
        publisher="UN Deputy Special Representative, Resident and Humanitarian Coordinator for Afghanistan "
        "(Ramiz Alakbarov)",
        title="Video link-up statement on Panjshir",
        kind=SourceKind.UN_STATEMENT,
        reliability=Reliability.A,
        published_at=utc(2021, 9, 1),
    ),
    "S3": dict(
        publisher="National Resistance Front (NRF), Twitter @NA2NRF",
        title="Battlefield claims (a party to the conflict)",
        kind=SourceKind.SOCIAL_MEDIA,
        reliability=Reliability.F,
        published_at=utc(2021, 9, 1),
    ),
    "S4": dict(
        publisher="ANI (news agency)",
        title="Power and internet cut in Panjshir",
        kind=SourceKind.MEDIA,
        reliability=Reliability.C,
        published_at=utc(2021, 9, 1),
    ),
    "S5": dict(
        publisher="Republic Media Network",
        title="Panjshir: UN asks parties to let humanitarian workers through (compiles UN, NRF and ANI reports)",
        kind=SourceKind.MEDIA,
        reliability=Reliability.C,
        published_at=utc(2021, 9, 2),
    ),
    "S6": dict(
        publisher="OCHA",
        title="Afghanistan: Humanitarian Needs and Planned Response 2021",
        url="https://reliefweb.int/report/afghanistan/afghanistan-humanitarian-needs-and-planned-response-2021",
        kind=SourceKind.AGENCY_REPORT,
        reliability=Reliability.A,
        published_at=utc(2021, 1, 1),
    ),
    "S7": dict(
        publisher="OCHA",
        title="Afghanistan Humanitarian Response Plan Summary 2021",
        kind=SourceKind.AGENCY_REPORT,
        reliability=Reliability.A,
        published_at=utc(2021, 5, 1),
    ),
    "S8": dict(
        publisher="USAID",
        title="Afghanistan Complex Emergency Fact Sheet #5 (citing UN figures of Dec 2020)",
        kind=SourceKind.AGENCY_REPORT,
        reliability=Reliability.A,
        published_at=utc(2021, 9, 3),
    ),
}

YEAR_2021 = (date(2021, 1, 1), date(2021, 12, 31))
Q1_2021 = (date(2021, 1, 1), date(2021, 3, 31))
SEPTEMBER_2021 = (date(2021, 9, 1), date(2021, 9, 30))

# (sector, period, people in need, targeted, reached, urgent, source, notes)
NEEDS = [
    (
        "Intersectoral",
        YEAR_2021,
        18_400_000,
        15_700_000,
        None,
        False,
        "S6",
        "Not the sum of the sectors: people are in need in several sectors at once.",
    ),
    ("Intersectoral", Q1_2021, None, None, 3_660_000, False, "S7", "Reached in the first quarter only."),
    ("FSC", YEAR_2021, 16_900_000, None, None, False, "S6", "People in IPC 3–4 (crisis or emergency)."),
    ("HEA", YEAR_2021, 14_500_000, None, None, False, "S8", "People who need emergency health services."),
    # S1: "extra food, shelter and health supplies must be urgently fast-tracked" — no figure given.
    ("FSC", SEPTEMBER_2021, None, None, None, True, "S1", "Named urgent by the Secretary-General; no figure."),
    ("SHL", SEPTEMBER_2021, None, None, None, True, "S1", "Named urgent by the Secretary-General; no figure."),
    ("HEA", SEPTEMBER_2021, None, None, None, True, "S1", "Named urgent by the Secretary-General; no figure."),
]

DISTRICT_CLAIMS = {
    "AF0806": "The NRF declared victory in Shotul (Shatel).",
    "AF0305": "The NRF declared victory in Jabal Saraj (Jabal Siraj) and claimed Taliban fighters 'neutralised'.",
    "AF0306": "The NRF declared victory in Salang (Saland) and claimed Taliban fighters 'neutralised'.",
    "AF0907": "The NRF declared victory in Andarab.",
}


@dataclass
class DemoSummary:
    password: str
    lines: list[str] = field(default_factory=list)


def _region(pcode):
    return Region.objects.get(pcode=pcode)


def load_demo() -> DemoSummary:
    user_model = get_user_model()
    summary = DemoSummary(password=settings.HUMTRACK_DEMO_PASSWORD)
    with transaction.atomic():
        coordinator, created = user_model.objects.get_or_create(
            username=DEMO_COORDINATOR_USERNAME,
            defaults={
                "is_staff": True,
                "first_name": "Demo",
                "last_name": "Coordinator",
                "email": "coordinator@humtrack.localhost",
            },
        )
        if created:
            coordinator.set_password(settings.HUMTRACK_DEMO_PASSWORD)
            coordinator.save()
        coordinator.groups.add(ensure_coordinators_group())
        actor = Actor(user=coordinator)

        regions = import_regions(
            rows=read_admin_csv(FIXTURES / "afg_admin.csv"),
            actor=actor,
            centroids=read_centroids_csv(FIXTURES / "afg_centroids.csv"),
        )
        summary.lines.append(
            f"Regions: {regions.created} created, {regions.updated} updated, {regions.unchanged} unchanged."
        )
        boundaries = import_boundaries(features=read_geojson_features(FIXTURES / "afg_admin1.geojson"), actor=actor)
        summary.lines.append(f"Boundaries: {boundaries.updated} updated, {boundaries.unchanged} unchanged.")
        local_names = set_region_names(names=read_names_csv(FIXTURES / "afg_admin_names.csv"), actor=actor)
        summary.lines.append(
            f"Names in Dari and Pashto: {local_names.updated} updated, {local_names.unchanged} unchanged."
        )
        for pcode, names in ALTERNATIVE_NAMES.items():
            region = _region(pcode)
            if region.alternative_names != names:
                region.alternative_names = names
                save_region(region=region, actor=actor, reason="Spellings used by the scenario's sources")
        for pcode in DEMO_COORDINATOR_REGIONS:
            region = _region(pcode)
            if not CoordinatorAssignment.objects.filter(user=coordinator, region=region).exists():
                assign_coordinator(user=coordinator, region=region, actor=actor, reason="The demo coordinator")

        sources = {}
        for key, fields in SOURCES.items():
            sources[key] = Source.objects.filter(
                publisher=fields["publisher"], title=fields["title"]
            ).first() or create_source(actor=actor, **fields)
        _load_access(actor, sources)
        _load_incidents(actor, sources)
        _load_needs(actor, sources)
    summary.lines.append("Panjshir scenario (1 September 2021) loaded.")
    return summary


def _load_access(actor, sources):
    panjshir = _region("AF08")
    # 31 Aug: fighting, the valley closed (S5, reported); 1 Sep: the UN "has no precise information on
    # the humanitarian situation in Panjshir" (S2, confirmed): unknown, a status of its own.
    change_access_status(
        region=panjshir,
        status=AccessStatus.SEVERELY_CONSTRAINED,
        source=sources["S5"],
        confidence=Confidence.REPORTED,
        effective_at=utc(2021, 8, 31),
        reason="Fighting in Panjshir; the valley is closed.",
        actor=actor,
        silent=True,
    )
    change_access_status(
        region=panjshir,
        status=AccessStatus.UNKNOWN,
        source=sources["S2"],
        confidence=Confidence.CONFIRMED,
        effective_at=utc(2021, 9, 1, 14),
        actor=actor,
        silent=True,
        reason="The UN has no precise information on the humanitarian situation in Panjshir and asks the "
        "parties to let humanitarian workers through.",
    )

    def restriction_once(region, category, **fields):
        if not AccessRestriction.objects.filter(region=region, category=category, source=fields["source"]).exists():
            record_restriction(actor=actor, region=region, category=category, **fields)

    restriction_once(
        panjshir,
        ConstraintCategory.HOSTILITIES,
        severity=Severity.VERY_HIGH,
        source=sources["S2"],
        confidence=Confidence.CONFIRMED,
        starts_at=utc(2021, 8, 30),
        imposed_by="Parties to the conflict",
        affected_groups=[AffectedGroupCode.ALL_AID_WORKERS, AffectedGroupCode.AFFECTED_POPULATION],
        description="Active hostilities in Panjshir; the standoff 'cannot continue' (UN).",
    )
    for pcode, claim in DISTRICT_CLAIMS.items():
        restriction_once(
            _region(pcode),
            ConstraintCategory.HOSTILITIES,
            severity=Severity.VERY_HIGH,
            source=sources["S3"],
            confidence=Confidence.CLAIMED,
            starts_at=utc(2021, 8, 30),
            imposed_by="Parties to the conflict",
            affected_groups=[AffectedGroupCode.ALL_AID_WORKERS, AffectedGroupCode.AFFECTED_POPULATION],
            description=f"{claim} A claim of a party to the conflict, reported by S5; not confirmed.",
        )
    restriction_once(
        panjshir,
        ConstraintCategory.MOVEMENT_RESTRICTIONS,
        severity=Severity.HIGH,
        source=sources["S1"],
        confidence=Confidence.CONFIRMED,
        starts_at=utc(2021, 8, 31),
        imposed_by="Parties to the conflict",
        affected_groups=[AffectedGroupCode.ALL_AID_WORKERS, AffectedGroupCode.WOMEN_AID_WORKERS],
        description="Humanitarian workers cannot move into Panjshir; the UN asks access for "
        "'all humanitarian workers – men and women'.",
    )

    corridor_name = "Kabul – Charikar – Jabal Saraj – Gulbahar – Bazarak (Panjshir)"
    if not AidCorridor.objects.filter(name=corridor_name).exists():
        create_corridor(
            actor=actor,
            name=corridor_name,
            regions=[_region("AF01"), _region("AF0305"), _region("AF0801")],
            status=CorridorStatus.CLOSED,
            source=sources["S5"],
            confidence=Confidence.REPORTED,
            effective_at=utc(2021, 8, 31),
            reason="Reported closed with the fighting in the valley.",
            notes="Illustrative: the route is geography, the closure is reported (S5).",
        )

    for utility, detail in [
        (Utility.ELECTRICITY, "Cut by the Taliban, 'unable to capture Panjshir' (ANI via Republic)."),
        (Utility.INTERNET, "Cut after the power outage 'in a bid to squash support to the resistance movement'."),
    ]:
        if not UtilityOutage.objects.filter(region=panjshir, utility=utility, source=sources["S4"]).exists():
            record_outage(
                actor=actor,
                region=panjshir,
                utility=utility,
                started_at=utc(2021, 9, 1),
                cause=OutageCause.DELIBERATE_CUT,
                cause_detail=detail,
                extent=OutageExtent.FULL,
                source=sources["S4"],
                confidence=Confidence.REPORTED,
            )


# The scenario's incident log ("Incidents"): what each source says happened, no more precise than the
# source (a date, a region, no point, no casualty figure). (when, until, reported, region, category, type,
# source, confidence, groups, what the source says, the fact it evidences: (model, lookup)).
INCIDENTS = [
    (
        utc(2021, 8, 30),
        utc(2021, 9, 2),
        utc(2021, 9, 1),
        "AF08",
        ConstraintCategory.HOSTILITIES,
        IncidentType.ACTIVE_HOSTILITIES,
        "S2",
        Confidence.CONFIRMED,
        [],
        "'The fierce battle between the Northern Alliance resistance and Taliban ensues in Afghanistan's "
        "Panjshir province'; the UN asks all parties to 'cease hostilities'.",
        ("restriction", dict(category=ConstraintCategory.HOSTILITIES, region__pcode="AF08", source_key="S2")),
    ),
    (
        utc(2021, 8, 31),
        utc(2021, 9, 1),
        utc(2021, 9, 1),
        "AF08",
        ConstraintCategory.MOVEMENT_RESTRICTIONS,
        IncidentType.WORKERS_UNABLE_TO_ENTER_AREA,
        "S2",
        Confidence.REPORTED,
        [AffectedGroupCode.ALL_AID_WORKERS],
        "The UN asks the parties to 'let humanitarian workers through to provide aid' (the impediment is "
        "implied by the UN's call, not described).",
        ("restriction", dict(category=ConstraintCategory.MOVEMENT_RESTRICTIONS, region__pcode="AF08", source_key="S1")),
    ),
    (
        utc(2021, 9, 1),
        None,
        utc(2021, 9, 2),
        "AF08",
        ConstraintCategory.RESTRICTED_ACCESS_TO_SERVICES,
        IncidentType.ELECTRICITY_CUT,
        "S4",
        Confidence.REPORTED,
        [AffectedGroupCode.AFFECTED_POPULATION],
        "'The Taliban, unable to capture Panjshir, snapped the province's electricity' (ANI via Republic).",
        ("outage", dict(utility=Utility.ELECTRICITY, region__pcode="AF08", source_key="S4")),
    ),
    (
        utc(2021, 9, 1),
        None,
        utc(2021, 9, 2),
        "AF08",
        ConstraintCategory.RESTRICTED_ACCESS_TO_SERVICES,
        IncidentType.TELECOMMUNICATIONS_CUT,
        "S4",
        Confidence.REPORTED,
        [AffectedGroupCode.AFFECTED_POPULATION],
        "'The internet connection to the province was cut in a bid to squash support to the resistance "
        "movement' (ANI via Republic).",
        ("outage", dict(utility=Utility.INTERNET, region__pcode="AF08", source_key="S4")),
    ),
] + [
    (
        utc(2021, 9, 1),
        None,
        utc(2021, 9, 1),
        pcode,
        ConstraintCategory.HOSTILITIES,
        IncidentType.FIGHTING_REPORTED,
        "S3",
        Confidence.CLAIMED,
        [],
        f"{claim} A claim of a party to the conflict (NRF), reported by S5; not confirmed.",
        ("restriction", dict(category=ConstraintCategory.HOSTILITIES, region__pcode=pcode, source_key="S3")),
    )
    for pcode, claim in DISTRICT_CLAIMS.items()
]


def _load_incidents(actor, sources):
    models = {"restriction": AccessRestriction, "outage": UtilityOutage}
    for when, until, reported, pcode, category, kind, source, confidence, groups, said, (fact, lookup) in INCIDENTS:
        region = _region(pcode)
        if Incident.objects.filter(region=region, incident_type=kind, source=sources[source]).exists():
            continue
        lookup = dict(lookup)
        evidenced = models[fact].objects.filter(source=sources[lookup.pop("source_key")], **lookup).first()
        record_incident(
            actor=actor,
            region=region,
            occurred_at=when,
            occurred_until=until,
            reported_at=reported,
            category=category,
            incident_type=kind,
            perpetrator_type=PerpetratorType.PARTY_TO_THE_CONFLICT,
            affected_groups=groups,
            description=said,
            sensitivity=Sensitivity.PUBLIC,  # every source is a public statement or article
            source=sources[source],
            confidence=confidence,
            **{fact: evidenced},
        )


def _load_needs(actor, sources):
    afghanistan = _region("AF")
    for sector, (start, end), in_need, targeted, reached, urgent, source, notes in NEEDS:
        if NeedFigure.objects.filter(region=afghanistan, sector=sector, period_start=start, period_end=end).exists():
            continue
        record_need_figure(
            actor=actor,
            region=afghanistan,
            sector=sector,
            period_start=start,
            period_end=end,
            people_in_need=in_need,
            targeted=targeted,
            reached=reached,
            is_urgent=urgent,
            source=sources[source],
            confidence=Confidence.CONFIRMED,
            notes=notes,
        )
