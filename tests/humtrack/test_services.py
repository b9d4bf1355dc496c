"""The save funnel every service writes through (humtrack.services)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from access.choices import AccessStatus, Confidence, Utility
from access.models import StatusChange, UtilityOutage
from access.services import change_access_status, record_outage
from humtrack.actor import SYSTEM

pytestmark = pytest.mark.django_db

LONE_SURROGATE = "cut at \ud800 the substation"  # what JSON's "\ud800" decodes to


def test_text_with_a_lone_surrogate_is_the_fields_error_and_nothing_is_saved(tree, source):
    with pytest.raises(ValidationError) as refused:
        record_outage(
            actor=SYSTEM,
            region=tree["AF08"],
            utility=Utility.ELECTRICITY,
            started_at=datetime(2021, 9, 1, tzinfo=UTC),
            cause_detail=LONE_SURROGATE,
            source=source,
            confidence=Confidence.REPORTED,
        )
    assert "cause_detail" in refused.value.message_dict
    assert not UtilityOutage.objects.exists()


def test_a_status_change_reason_with_a_lone_surrogate_is_refused_naming_it(tree, source):
    with pytest.raises(ValidationError) as refused:
        change_access_status(
            region=tree["AF08"],
            status=AccessStatus.INACCESSIBLE,
            reason=LONE_SURROGATE,
            source=source,
            confidence=Confidence.REPORTED,
            actor=SYSTEM,
        )
    assert "reason" in refused.value.message_dict
    assert not StatusChange.objects.exists()
