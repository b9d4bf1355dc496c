"""factory_boy factories for the domain. Regions get consistent paths through the region service."""

from datetime import UTC, date, datetime

import factory
from django.contrib.auth import get_user_model

from access.choices import Confidence, SourceKind
from access.models import CoordinatorAssignment, Region, Source
from access.roles import ensure_coordinators_group
from access.services.regions import save_region
from humtrack.actor import SYSTEM
from humtrack.models import Organisation
from needs.models import NeedFigure


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Partner {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("a-long-test-password")


def make_coordinator(*regions, username=None):
    user = UserFactory(username=username or f"coord-{'-'.join(r.pcode for r in regions) or 'none'}", is_staff=True)
    user.groups.add(ensure_coordinators_group())
    for region in regions:
        CoordinatorAssignment.objects.get_or_create(user=user, region=region)
    return user


def make_region(pcode, name=None, parent=None, level=None, **fields) -> Region:
    """A region saved through the service, so its path is right. Level defaults to one below the parent."""
    existing = Region.objects.filter(pcode=pcode).first()
    if existing:
        return existing
    if level is None:
        level = 0 if parent is None else parent.admin_level + 1
    region = Region(pcode=pcode, name=name or pcode, parent=parent, admin_level=level, **fields)
    return save_region(region=region, actor=SYSTEM)


def make_tree():
    """A small country: AF > AF08 (Panjsher) > AF0801, AF0806; AF > AF03 (Parwan) > AF0305."""
    af = make_region("AF", "Afghanistan")
    af08 = make_region("AF08", "Panjsher", parent=af, alternative_names="Panjshir")
    af03 = make_region("AF03", "Parwan", parent=af)
    return {
        "AF": af,
        "AF08": af08,
        "AF0801": make_region("AF0801", "Bazarak", parent=af08),
        "AF0806": make_region("AF0806", "Shutul", parent=af08),
        "AF03": af03,
        "AF0305": make_region("AF0305", "Jabal Saraj", parent=af03),
    }


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    publisher = "OCHA"
    title = factory.Sequence(lambda n: f"Situation report {n}")
    kind = SourceKind.AGENCY_REPORT
    published_at = factory.LazyFunction(lambda: datetime(2021, 9, 1, tzinfo=UTC))


class NeedFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedFigure

    sector = "FSC"
    period_start = date(2021, 1, 1)
    period_end = date(2021, 12, 31)
    source = factory.SubFactory(SourceFactory)
    confidence = Confidence.CONFIRMED
