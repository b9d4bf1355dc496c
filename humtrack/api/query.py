"""Unknown query parameters are a 400 naming them and the allowed ones: `?sectr=FSC` is a typo, not "all".
So is a value longer than MAX_VALUE_LENGTH or a parameter repeated more than MAX_REPEATS times.

What a view accepts, in the schema's terms: `format` (every view: DRF's format override); on a list,
its FilterSet's filters; on a paginated read, the paginator's `cursor` and `page_size`; and whatever
the view (or its action, as an @action argument) declares in `query_parameters`: names, or the
Serializer that reads them. tests/humtrack/api/test_query.py holds this to the schema's parameters.
"""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from .exceptions import ErrorCode

# What a query parameter may be, for every view (the schema states both, humtrack.api.schema): a URL
# stays within what the servers in front take (gunicorn refuses a request line over 4,094 bytes).
MAX_VALUE_LENGTH = 300  # characters: the longest text a filter compares with (a source's publisher)
MAX_REPEATS = 20  # a repeated parameter (`?sector=FSC&sector=WSH`): more than any list of choices

# Actions on one record or writes: no filters or pages there (the schema lists none).
NOT_PAGED = {"retrieve", "create", "update", "partial_update", "destroy"}
READ_METHODS = {"GET", "HEAD"}


def declared_parameters(view) -> set[str]:
    declared: Any = getattr(view, "query_parameters", ())
    if isinstance(declared, type) and issubclass(declared, serializers.Serializer):
        return set(declared().fields)
    return set(declared)


def allowed_query_parameters(view, request) -> set[str]:
    allowed = {api_settings.URL_FORMAT_OVERRIDE} | declared_parameters(view)
    action = getattr(view, "action", None)
    if request.method not in READ_METHODS or action in NOT_PAGED:
        return allowed
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None and action == "list":
        allowed |= set(filterset_class.base_filters)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        allowed |= {parameter["name"] for parameter in paginator.get_schema_operation_parameters(view)}
    return allowed


def oversized_parameter_errors(query) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, values in query.lists():
        if len(values) > MAX_REPEATS:
            errors[name] = [_("Given at most %(count)d times.") % {"count": MAX_REPEATS}]
        elif any(len(value) > MAX_VALUE_LENGTH for value in values):
            errors[name] = [_("At most %(count)d characters.") % {"count": MAX_VALUE_LENGTH}]
    return errors


def unknown_parameter_errors(names: Iterable[str], allowed: set[str]) -> dict[str, list[str]]:
    listed = ", ".join(sorted(allowed)) or "none"
    return {
        name: [_("Unknown parameter; allowed: %(allowed)s.") % {"allowed": listed}]
        for name in sorted(set(names) - allowed)
    }


class StrictQueryParameters:
    """Mixed into an APIView: after authentication and permissions, a 400 for any unknown parameter."""

    query_parameters: Iterable[str] | type[serializers.Serializer] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, request.method.lower(), None) is None:
            return  # a method the view does not take: 405 (dispatch), not a 400 about its parameters
        errors = unknown_parameter_errors(request.query_params.keys(), allowed_query_parameters(self, request))
        errors = errors or oversized_parameter_errors(request.query_params)
        if errors:
            raise serializers.ValidationError(errors, code=ErrorCode.INVALID)
