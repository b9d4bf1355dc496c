"""access/selectors/severity.py: a region's access severity for a month, against cases worked by hand, the
roll-up against a plain reference, the flag for review, and the demo's September 2021 in Panjsher."""

from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.choices import AccessStatus, Confidence, ConstraintCategory, IncidentType, Severity, SeverityLevel
from access.models import AccessRestriction, Incident, Region
from access.selectors.severity import (
    INDICATORS,
    evidence_score,
    region_severity,
    severities_for_month,
    worst,
)
from access.services import change_access_status
from access.services.severity import set_severity_override
from humtrack.actor import Actor
from tests.factories import UserFactory, make_region

SEPTEMBER = date(2021, 9, 1)
C = ConstraintCategory

# One incident type per indicator, for the incidents the tests make.
TYPE_OF = {
    C.DENIAL_OF_NEEDS: IncidentType.NEEDS_DENIED,
    C.RESTRICTED_ACCESS_TO_SERVICES: IncidentType.ELECTRICITY_CUT,
    C.ENTRY_IMPEDIMENTS: IncidentType.VISA_REFUSED,
    C.MOVEMENT_RESTRICTIONS: IncidentType.CONVOY_BLOCKED,
    C.INTERFERENCE: IncidentType.PROGRAMME_INTERFERENCE,
    C.VIOLENCE_AGAINST_AID: IncidentType.STAFF_THREATENED,
    C.HOSTILITIES: IncidentType.FIGHTING_REPORTED,
    C.EXPLOSIVE_HAZARDS: IncidentType.ROAD_MINED,
    C.PHYSICAL_ENVIRONMENT: IncidentType.ROAD_IMPASSABLE,
}


def utc(*args):
    return datetime(*args, tzinfo=UTC)


MID_SEPTEMBER = utc(2021, 9, 10)
EARLY_SEPTEMBER = utc(2021, 9, 5)


@pytest.fixture
def actor(db):
    return Actor(user=UserFactory(is_superuser=True, is_staff=True))


def incident(region, category, source, occurred_at=MID_SEPTEMBER, occurred_until=None):
    # Straight to the table: the selector reads rows, and the property test makes hundreds.
    return Incident.objects.create(
        region=region,
        category=category,
        incident_type=TYPE_OF[category],
        occurred_at=occurred_at,
        occurred_until=occurred_until,
        source=source,
        confidence=Confidence.REPORTED,
    )


def restriction(region, category, severity, source, starts_at=EARLY_SEPTEMBER, ends_at=None):
    return AccessRestriction.objects.create(
        region=region,
        category=category,
        severity=severity,
        starts_at=starts_at,
        ends_at=ends_at,
        source=source,
        confidence=Confidence.REPORTED,
    )


def shown(severity):
    return {indicator: score.score for indicator, score in severity.indicators.items() if score.score is not None}


def test_a_region_without_evidence_has_no_information_never_zero(tree):
    severity = region_severity(region=tree["AF08"], month=SEPTEMBER)
    assert list(severity.indicators) == list(INDICATORS)
    assert all(score.score is None and score.computed is None for score in severity.indicators.values())
    assert set(severity.pillars.values()) == {None}
    assert severity.overall is None
    assert (severity.districts_with_information, severity.districts) == (0, 2)
    assert severity.flagged_for_review is False


def test_a_handful_of_incidents_and_restrictions_score_as_worked_by_hand(tree, source):
    bazarak = tree["AF0801"]
    for _ in range(3):
        incident(bazarak, C.MOVEMENT_RESTRICTIONS, source)
    incident(bazarak, C.HOSTILITIES, source, occurred_at=utc(2021, 8, 30), occurred_until=utc(2021, 9, 2))
    restriction(bazarak, C.HOSTILITIES, Severity.HIGH, source, starts_at=utc(2021, 8, 1), ends_at=utc(2021, 9, 1, 12))
    # Not in September: an incident of August, one of October, a restriction that ended on 1 September 00:00.
    incident(bazarak, C.VIOLENCE_AGAINST_AID, source, occurred_at=utc(2021, 8, 31, 23))
    incident(bazarak, C.VIOLENCE_AGAINST_AID, source, occurred_at=utc(2021, 10, 1))
    restriction(
        bazarak, C.EXPLOSIVE_HAZARDS, Severity.EXTREME, source, starts_at=utc(2021, 8, 1), ends_at=utc(2021, 9, 1)
    )

    # By hand: movement, 3 incidents (2–4) → 2. Hostilities, 1 incident → 1, a high restriction in force
    # until 1 Sep noon → 2; the worse → 2. Everything else X.
    # Pillars: actors (movement 2) 2.0; security (hostilities 2) 2.0; people in need X.
    # Overall: mean of the two pillars 2.0, in (1.8, 2.4] → 4, very high.
    severity = region_severity(region=bazarak, month=SEPTEMBER)
    assert shown(severity) == {C.MOVEMENT_RESTRICTIONS: 2, C.HOSTILITIES: 2}
    assert severity.indicators[C.MOVEMENT_RESTRICTIONS].incidents == 3
    assert (severity.indicators[C.HOSTILITIES].incidents, severity.indicators[C.HOSTILITIES].restrictions) == (1, 1)
    assert severity.indicators[C.EXPLOSIVE_HAZARDS].restrictions == 0
    assert severity.pillars == {
        "access_of_people_in_need": None,
        "access_of_humanitarian_actors": 2.0,
        "security_and_physical_constraints": 2.0,
    }
    assert severity.overall == SeverityLevel.VERY_HIGH
    assert (severity.districts_with_information, severity.districts) == (1, 1)


def test_five_incidents_score_three_and_pillars_average_their_known_indicators(tree, source):
    jabal_saraj = tree["AF0305"]
    for _ in range(5):
        incident(jabal_saraj, C.VIOLENCE_AGAINST_AID, source)
    restriction(jabal_saraj, C.ENTRY_IMPEDIMENTS, Severity.LOW, source)
    incident(jabal_saraj, C.DENIAL_OF_NEEDS, source)
    # By hand: violence 5 incidents → 3; entry, a low restriction → 1; denial, 1 incident → 1.
    # Pillars: people in need (denial 1) 1.0; actors (entry 1, violence 3) 2.0; security X.
    # Overall: (1 + 2) / 2 = 1.5, in (1.2, 1.8] → 3, high.
    severity = region_severity(region=jabal_saraj, month=SEPTEMBER)
    assert shown(severity) == {C.VIOLENCE_AGAINST_AID: 3, C.ENTRY_IMPEDIMENTS: 1, C.DENIAL_OF_NEEDS: 1}
    assert severity.pillars["access_of_people_in_need"] == 1.0
    assert severity.pillars["access_of_humanitarian_actors"] == 2.0
    assert severity.pillars["security_and_physical_constraints"] is None
    assert severity.overall == SeverityLevel.HIGH


def test_an_override_replaces_the_computed_score_and_an_override_to_x_hides_it(tree, source, actor):
    bazarak = tree["AF0801"]
    for _ in range(3):
        incident(bazarak, C.MOVEMENT_RESTRICTIONS, source)
    incident(bazarak, C.HOSTILITIES, source)
    raised = set_severity_override(
        actor=actor,
        region=bazarak,
        month=SEPTEMBER,
        indicator=C.MOVEMENT_RESTRICTIONS,
        score=3,
        reason="The valley road is closed to all aid convoys.",
        source=source,
        confidence=Confidence.CONFIRMED,
    )
    set_severity_override(
        actor=actor,
        region=bazarak,
        month=SEPTEMBER,
        indicator=C.HOSTILITIES,
        score=None,
        reason="The fighting report was retracted.",
        source=source,
        confidence=Confidence.REPORTED,
    )
    severity = region_severity(region=bazarak, month=SEPTEMBER)
    movement = severity.indicators[C.MOVEMENT_RESTRICTIONS]
    assert (movement.score, movement.computed, movement.override) == (3, 2, raised)
    assert movement.override.reason == "The valley road is closed to all aid convoys."
    hostilities = severity.indicators[C.HOSTILITIES]
    assert (hostilities.score, hostilities.computed) == (None, 1)
    # By hand: only movement 3 is known → actors 3.0 → overall 5, extreme.
    assert severity.overall == SeverityLevel.EXTREME
    # The province takes the district's shown scores: movement 3, hostilities X.
    panjsher = region_severity(region=tree["AF08"], month=SEPTEMBER)
    assert shown(panjsher) == {C.MOVEMENT_RESTRICTIONS: 3}


def test_an_override_to_zero_is_information_no_constraints(tree, source, actor):
    set_severity_override(
        actor=actor,
        region=tree["AF0806"],
        month=SEPTEMBER,
        indicator=C.MOVEMENT_RESTRICTIONS,
        score=0,
        reason="Assessed by the field team: roads open.",
        source=source,
        confidence=Confidence.CONFIRMED,
    )
    severity = region_severity(region=tree["AF0806"], month=SEPTEMBER)
    assert shown(severity) == {C.MOVEMENT_RESTRICTIONS: 0}
    assert severity.overall == SeverityLevel.NO_CONSTRAINTS
    panjsher = region_severity(region=tree["AF08"], month=SEPTEMBER)
    assert panjsher.overall == SeverityLevel.NO_CONSTRAINTS
    assert (panjsher.districts_with_information, panjsher.districts) == (1, 2)


def test_a_province_is_the_worst_of_its_own_evidence_and_its_districts_with_coverage(tree, source):
    restriction(tree["AF08"], C.HOSTILITIES, Severity.MODERATE, source)  # the province's own: 1
    restriction(tree["AF0806"], C.HOSTILITIES, Severity.VERY_HIGH, source)  # a district's: 3
    incident(tree["AF0806"], C.MOVEMENT_RESTRICTIONS, source)  # 1
    incident(tree["AF08"], C.MOVEMENT_RESTRICTIONS, source)
    incident(tree["AF08"], C.MOVEMENT_RESTRICTIONS, source)  # the province's own 2 incidents: 2
    incident(tree["AF0305"], C.PHYSICAL_ENVIRONMENT, source)  # Parwan's district: 1

    panjsher = region_severity(region=tree["AF08"], month=SEPTEMBER)
    # Hostilities max(1, 3) = 3; movement max(2, 1) = 2, not the 3 incidents counted together.
    assert shown(panjsher) == {C.HOSTILITIES: 3, C.MOVEMENT_RESTRICTIONS: 2}
    assert panjsher.indicators[C.MOVEMENT_RESTRICTIONS].incidents == 3
    assert panjsher.indicators[C.HOSTILITIES].restrictions == 2
    assert (panjsher.districts_with_information, panjsher.districts) == (1, 2)

    country = region_severity(region=tree["AF"], month=SEPTEMBER)
    assert shown(country) == {C.HOSTILITIES: 3, C.MOVEMENT_RESTRICTIONS: 2, C.PHYSICAL_ENVIRONMENT: 1}
    assert (country.districts_with_information, country.districts) == (2, 3)


@pytest.mark.parametrize(
    ("status", "severity_of_restriction", "flagged"),
    [
        (AccessStatus.ACCESSIBLE, Severity.EXTREME, True),  # overall 5 while "accessible"
        (AccessStatus.ACCESSIBLE, Severity.MODERATE, False),  # overall 2
        (
            AccessStatus.INACCESSIBLE,
            Severity.LOW,
            False,
        ),  # one indicator at 1 → 1.0 → 2, moderate: not strongly at odds
        (AccessStatus.UNKNOWN, Severity.EXTREME, False),  # unknown never flags
    ],
)
def test_the_flag_for_review_compares_the_computed_level_with_the_effective_status(
    tree, source, actor, status, severity_of_restriction, flagged
):
    change_access_status(
        region=tree["AF08"],
        status=status,
        reason="Test",
        source=source,
        confidence=Confidence.CONFIRMED,
        actor=actor,
        effective_at=utc(2021, 9, 1),
        silent=True,
    )
    restriction(tree["AF0801"], C.HOSTILITIES, severity_of_restriction, source)
    # The district inherits its province's status.
    assert region_severity(region=tree["AF0801"], month=SEPTEMBER).flagged_for_review is flagged


def test_inaccessible_with_low_constraints_assessed_is_flagged_and_no_information_never_is(tree, source, actor):
    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Test",
        source=source,
        confidence=Confidence.CONFIRMED,
        actor=actor,
        effective_at=utc(2021, 9, 1),
        silent=True,
    )
    assert region_severity(region=tree["AF0801"], month=SEPTEMBER).flagged_for_review is False  # all X
    for indicator in (C.HOSTILITIES, C.MOVEMENT_RESTRICTIONS, C.DENIAL_OF_NEEDS):
        set_severity_override(
            actor=actor,
            region=tree["AF0801"],
            month=SEPTEMBER,
            indicator=indicator,
            score=0,
            reason="Assessed: no constraint.",
            source=source,
            confidence=Confidence.CONFIRMED,
        )
    restriction(tree["AF0801"], C.ENTRY_IMPEDIMENTS, Severity.LOW, source)
    # By hand: pillars people 0.0, actors (movement 0, entry 1) 0.5, security 0.0 → mean 1/6 → 1, low.
    severity = region_severity(region=tree["AF0801"], month=SEPTEMBER)
    assert severity.overall == SeverityLevel.LOW
    assert severity.flagged_for_review is True


def test_many_regions_cost_the_same_queries_as_one(tree, source, django_assert_num_queries):
    for region in tree.values():
        incident(region, C.HOSTILITIES, source)
        restriction(region, C.MOVEMENT_RESTRICTIONS, Severity.HIGH, source)
    regions = list(tree.values())
    with django_assert_num_queries(4):
        one = severities_for_month(month=SEPTEMBER, regions=regions[:1])
    with django_assert_num_queries(4):
        every = severities_for_month(month=SEPTEMBER, regions=regions)
    assert set(every) == {region.pk for region in regions}
    assert one[regions[0].pk] == every[regions[0].pk]


# The roll-up against a plain reference: random evidence on a province and its districts.
DISTRICTS = ("AF0801", "AF0806", "AF0807")
evidence = st.lists(
    st.tuples(
        st.sampled_from(("AF08",) + DISTRICTS),
        st.sampled_from(list(INDICATORS)),
        st.one_of(st.just("incident"), st.sampled_from(list(Severity.values))),
    ),
    max_size=14,
)


def reference_province(facts):
    """Plain rule: each region's score per indicator from its own facts; the province's the worst of its
    own and its districts'; coverage the districts with any score."""

    def own(pcode, indicator):
        incidents = sum(1 for p, i, kind in facts if (p, i, kind) == (pcode, indicator, "incident"))
        severities = [kind for p, i, kind in facts if (p, i) == (pcode, indicator) and kind != "incident"]
        return evidence_score(incidents, severities)

    scores = {
        indicator: worst([own("AF08", indicator)] + [own(d, indicator) for d in DISTRICTS]) for indicator in INDICATORS
    }
    covered = sum(1 for d in DISTRICTS if any(own(d, i) is not None for i in INDICATORS))
    return scores, covered


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=evidence)
def test_the_province_roll_up_matches_a_plain_reference(facts, tree, source):
    Incident.objects.all().delete()
    AccessRestriction.objects.all().delete()
    province = tree["AF08"]
    regions = {"AF08": province, **{d: make_region(d, parent=province) for d in DISTRICTS}}
    for pcode, indicator, kind in facts:
        if kind == "incident":
            incident(regions[pcode], indicator, source)
        else:
            restriction(regions[pcode], indicator, kind, source)

    severity = region_severity(region=province, month=SEPTEMBER)
    scores, covered = reference_province(facts)
    assert {i: s.score for i, s in severity.indicators.items()} == scores
    assert (severity.districts_with_information, severity.districts) == (covered, 3)


@pytest.mark.django_db
def test_the_demo_september_2021_in_panjsher():
    call_command("load_demo", verbosity=0)
    panjsher = Region.objects.get(pcode="AF08")
    severity = region_severity(region=panjsher, month=SEPTEMBER)
    # By hand from scenarios/demo.py: hostilities — a very high restriction (S2) on Panjsher and one on
    # Shutul (AF0806, S3, claimed) → 3; 2 incidents (the battle, Shutul's claimed fighting). Movement — a
    # high restriction (S1) → 2; 1 incident. Services — the electricity and internet cuts, 2 incidents → 2.
    # Pillars: people in need 2.0, actors 2.0, security 3.0 → mean 7/3 ≈ 2.33, in (1.8, 2.4] → 4, very high.
    assert shown(severity) == {C.HOSTILITIES: 3, C.MOVEMENT_RESTRICTIONS: 2, C.RESTRICTED_ACCESS_TO_SERVICES: 2}
    hostilities = severity.indicators[C.HOSTILITIES]
    assert (hostilities.incidents, hostilities.restrictions) == (2, 2)
    assert severity.indicators[C.RESTRICTED_ACCESS_TO_SERVICES].incidents == 2
    assert severity.overall == SeverityLevel.VERY_HIGH
    assert severity.flagged_for_review is False  # Panjsher's status since 1 September: unknown, never flagged
    # A district with no evidence that month is "no information".
    bazarak = region_severity(region=Region.objects.get(pcode="AF0801"), month=SEPTEMBER)
    assert bazarak.overall is None and not shown(bazarak)
    # August: the battle and the movement impediment from 30 and 31 August, and the restrictions then.
    august = region_severity(region=panjsher, month=date(2021, 8, 1))
    assert august.indicators[C.HOSTILITIES].incidents == 1
    assert august.indicators[C.RESTRICTED_ACCESS_TO_SERVICES].score is None
    # By hand: hostilities 3, movement 2 (the same restrictions from 30 and 31 August) → pillars 2.0 and
    # 3.0 → mean 2.5 → 5, extreme; the status at August's end, severely constrained, is not at odds with it.
    assert august.overall == SeverityLevel.EXTREME
    assert august.flagged_for_review is False
