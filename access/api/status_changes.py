"""Provides the one answer to a status change (of a region or a corridor) and its schema.

A POST to `…/status-changes/` records a change and answers 201 with it; when the record already has the
status asked for, the service records nothing (it returns None) and the answer is 200 with a `NoChange`
body, so a partner that retries or syncs from its own system gets a success either way.
"""

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

NO_CHANGE_DETAIL = _("Already in this status; nothing recorded.")


class NoChangeSerializer(serializers.Serializer):
    """200 to a status change that changes nothing: the region or corridor already has that status."""

    changed = serializers.BooleanField(help_text="Always false: it already had this status; nothing was recorded.")
    detail = serializers.CharField(help_text=NO_CHANGE_DETAIL)
    status = serializers.CharField(help_text="The status asked for, which it already has.")


def status_change_schema(*, summary: str, request: type[serializers.Serializer], change: type[serializers.Serializer]):
    """extend_schema for a status-change action: `request` in, 201 `change` or 200 `NoChange` out."""
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            201: change,
            200: OpenApiResponse(NoChangeSerializer, description="Already in this status: no change."),
        },
    )


def record_status_change(
    request, *, write_serializer: type[serializers.Serializer], change_status: Callable, change_serializer
) -> Response:
    """Validate the body with `write_serializer`, call `change_status(**validated data)` (a service with
    its record and actor bound), and answer 201 with the change or 200 with no change."""
    serializer = write_serializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    change = change_status(**serializer.validated_data)
    if change is None:
        body = {"changed": False, "detail": NO_CHANGE_DETAIL, "status": serializer.validated_data["status"]}
        return Response(NoChangeSerializer(body).data, status=status.HTTP_200_OK)
    return Response(change_serializer(change).data, status=status.HTTP_201_CREATED)
