"""The signature is the contract: what a create service leaves out is what the model would default to,
and an update service takes exactly the fields the matching create takes (reason and actor aside)."""

import inspect

import pytest
from django.core.exceptions import FieldDoesNotExist

from access.alerts.subscriptions import create_subscription, update_subscription
from access.models import AccessRestriction, AidCorridor, Source, Subscription, UtilityOutage
from access.services import (
    create_corridor,
    create_source,
    record_outage,
    record_restriction,
    update_corridor,
    update_outage,
    update_restriction,
    update_source,
)
from humtrack.services import NOT_GIVEN
from needs.models import NeedFigure
from needs.services import record_need_figure, update_need_figure

SERVICES = [
    (record_outage, update_outage, UtilityOutage),
    (record_restriction, update_restriction, AccessRestriction),
    (create_corridor, update_corridor, AidCorridor),
    (create_source, update_source, Source),
    (record_need_figure, update_need_figure, NeedFigure),
    (create_subscription, update_subscription, Subscription),
]
NOT_FIELDS = {"actor", "reason"}


def keywords(service) -> dict[str, inspect.Parameter]:
    parameters = inspect.signature(service).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values()), service.__name__
    return dict(parameters)


@pytest.mark.parametrize("create, update, model", SERVICES, ids=lambda s: getattr(s, "__name__", ""))
def test_what_a_create_service_leaves_out_is_the_models_default(create, update, model):
    for name, parameter in keywords(create).items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if parameter.default is not inspect.Parameter.empty and not field.many_to_many:
            assert parameter.default == field.get_default(), f"{create.__name__}({name}=…)"


@pytest.mark.parametrize("create, update, model", SERVICES, ids=lambda s: getattr(s, "__name__", ""))
def test_an_update_service_takes_the_fields_its_create_takes_each_left_as_it_is_unless_given(create, update, model):
    created = set(keywords(create)) - NOT_FIELDS - {"status", "effective_at"}  # a corridor's status: its own service
    record, *_ = keywords(update)  # the record as stored comes first: outage=, figure=, …
    changes = {name: p for name, p in keywords(update).items() if name not in NOT_FIELDS | {record}}
    assert set(changes) == created
    assert all(parameter.default is NOT_GIVEN for parameter in changes.values())
