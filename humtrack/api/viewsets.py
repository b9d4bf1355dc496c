"""The base every API resource is built on: scopes, ownership, formats, ETags, idempotent POSTs.

A resource sets `queryset` (through its app's selectors), `serializer_class` (what it shows),
`write_serializer_class` (what a partner sends: shape only) and `filterset_class`, and implements
`create_record(data)` / `update_record(instance, data)` by calling its app's services with the
validated data. (Not DRF's `perform_create(serializer)`: here no serializer saves anything.)
"""

from typing import TYPE_CHECKING, Any

from django.db import transaction
from rest_framework import status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from .conditional import check_if_match, etag_for, is_not_modified
from .idempotency import IdempotentPostMixin
from .negotiation import PartnerContentNegotiation
from .permissions import ReadWriteScope, request_actor
from .query import StrictQueryParameters
from .renderers import CsvColumn, CSVRenderer, ORJSONRenderer

JSON_ONLY_FORMATS = {"csv", "geojson"}
# Renderers of actions with no CSV or GeoJSON form (bulk upload results, summaries, status changes).
JSON = [ORJSONRenderer, BrowsableAPIRenderer]


class PartnerViewSet(IdempotentPostMixin, StrictQueryParameters, viewsets.GenericViewSet):
    """Reads need the `read` scope, writes `write`; an unknown query parameter is a 400 (humtrack.api.query).

    Who may change which record is the apps' to say (access.policies): their viewsets add an object
    permission class and implement `check_write_allowed(data)`, called with the validated data of
    every create and update before anything is written.
    """

    permission_classes = [ReadWriteScope]
    content_negotiation_class = PartnerContentNegotiation
    # JSON in, always: one way to send a record, one schema for it (forms blur "" and null).
    parser_classes = [JSONParser]
    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    write_serializer_class: type[Serializer[Any]] | None = None
    csv_columns: list[CsvColumn] = []

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        # A write is one transaction: a refused request (any 4xx, a database error answered as 409)
        # leaves nothing behind and never leaves the connection in a failed transaction.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            return response

    @property
    def actor(self):
        return request_actor(self.request)

    def check_write_allowed(self, data: dict) -> None:
        """Raise PermissionDenied when the caller may not write `data`; the app's rule (none here)."""

    def get_write_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return self.write_serializer_class(*args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for: a CSV of an error helps nobody. No renderer chosen
        # yet: the token failed while negotiating (PartnerContentNegotiation reads it), so JSON too.
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and (renderer is None or renderer.format in JSON_ONLY_FORMATS):
            request.accepted_renderer = ORJSONRenderer()
            request.accepted_media_type = ORJSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response):
            response.add_post_render_callback(self.release_after_rendering)
        return response

    def release_after_rendering(self, response) -> None:
        """Break the reference loops DRF leaves between the response, the view and the request.

        DRF's response holds the view and the request in `renderer_context`, and itself there once
        rendered; the request holds itself and the view in `parser_context`; the view holds the response,
        the request, its page and its handlers (`self.get = self.list`, bound to the view). A loop is freed
        only by Python's cyclic garbage collector, so every request's rows and items waited for it, and the
        collections that freed them cost a needs page a tenth of its CPU (docs/api.md, "Under load").
        Rendered, the response needs none of it; with the loops broken, it all goes when the server lets
        the response go. The view is not used again.
        """
        response.renderer_context = None
        request = self.__dict__.get("request")
        if request is not None:
            request.parser_context = None
        self.__dict__.clear()

    def shown(self, instance):
        """The record as lists show it (with the queryset's annotations and related rows)."""
        return self.get_queryset().get(pk=instance.pk)


# The mixins below are only ever mixed into a PartnerViewSet; the type checker is told so, so that
# what they use of it (request, lookup_field, get_serializer…) is checked against it.
if TYPE_CHECKING:
    _PartnerViewSetMixin = PartnerViewSet
else:
    _PartnerViewSetMixin = object


class ListMixin(_PartnerViewSetMixin):
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RetrieveMixin(_PartnerViewSetMixin):
    """GET of one record with its ETag; 304 (no body) when `If-None-Match` names it."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        headers = {"ETag": etag_for(instance)}
        if is_not_modified(request, instance):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(self.get_serializer(instance).data, headers=headers)


class CreateMixin(_PartnerViewSetMixin):
    """POST: 201 with the record as lists show it, its ETag and Location."""

    def create_record(self, data: dict):
        """Write a new record from the write serializer's validated `data` through the app's service;
        return it. Runs in the request's transaction, after check_write_allowed(data)."""
        raise NotImplementedError(f"{type(self).__name__} must implement create_record(data)")

    def create(self, request, *args, **kwargs):
        serializer = self.get_write_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_write_allowed(serializer.validated_data)
        instance = self.shown(self.create_record(serializer.validated_data))
        headers = {"ETag": etag_for(instance)}
        if self.lookup_field == "pk" or hasattr(instance, self.lookup_field):
            headers["Location"] = self.reverse_detail(instance)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED, headers=headers)

    def reverse_detail(self, instance) -> str:
        from django.urls import reverse

        name = f"api:{self.basename}-detail"
        return self.request.build_absolute_uri(reverse(name, args=[getattr(instance, self.lookup_field)]))


class UpdateMixin(_PartnerViewSetMixin):
    """PUT and PATCH, under a row lock, refused with 412 when If-Match names an older version."""

    def update_record(self, instance, data: dict):
        """Change `instance` (locked, its If-Match checked) with the write serializer's validated `data`
        (only the fields sent, for PATCH) through the app's service."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_record(instance, data)")

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()  # 404, then 403 for another organisation's record
        serializer = self.get_write_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.check_write_allowed(serializer.validated_data)
        with transaction.atomic():
            locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
            check_if_match(request, locked)
            self.update_record(locked, serializer.validated_data)
        instance = self.shown(locked)
        return Response(self.get_serializer(instance).data, headers={"ETag": etag_for(instance)})

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)
