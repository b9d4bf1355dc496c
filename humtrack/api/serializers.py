"""Serializer bases every resource shares: model-backed input with the API's strict fields, and the
recording organisation's name. They know no domain model (access and needs build on them)."""

from django.db import models
from rest_framework import serializers

from humtrack.api import fields


class OrganisationName(serializers.CharField):
    """The partner organisation (humtrack.models.Organisation) that recorded a record through the API."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The partner organisation that recorded it through the API, if any.")
        super().__init__(source="organisation.name", read_only=True, allow_null=True, **kwargs)


class WriteSerializer(serializers.ModelSerializer):
    """Model-backed input: the model's types and choices, with date-times that must carry their offset."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: fields.DateTimeField,
        models.CharField: fields.CharField,
        models.TextField: fields.CharField,
        models.IntegerField: fields.IntegerField,
        models.BigIntegerField: fields.IntegerField,
        models.PositiveIntegerField: fields.IntegerField,
        models.PositiveSmallIntegerField: fields.IntegerField,
        models.SmallIntegerField: fields.IntegerField,
        models.BooleanField: fields.BooleanField,
    }
    serializer_related_field = fields.PrimaryKeyRelatedField
