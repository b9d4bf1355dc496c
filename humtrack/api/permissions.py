"""Scopes a request needs, and who may change which record.

A partner token carries scopes (`read`, `write`, `alerts`; humtrack.models.TokenScope). To require
one on a view, list a scope permission class:

    from humtrack.api.permissions import HasScope, ReadWriteScope, scope_required

    class SubscriptionViewSet(viewsets.ModelViewSet):
        permission_classes = [scope_required("alerts")]     # every method needs `alerts`

    class HasAlertsScope(HasScope):                          # the same, as a named class
        required_scope = "alerts"

    class RegionViewSet(...):
        permission_classes = [ReadWriteScope]               # GET/HEAD/OPTIONS need `read`, others `write`

`HasReadScope`, `HasWriteScope` and `HasAlertsScope` are ready-made. No credentials → 401, a
missing scope → 403. Staff signed in to the admin (session) hold every scope, so they can use the
browsable API; other session users hold none.

Record ownership (a partner changes only what its organisation created) is `IsOwnOrganisationRecord`,
an object permission; `request_actor(request)` gives the Actor to pass to services.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from access.selectors.coordinators import can_edit_region, can_edit_route
from humtrack.actor import Actor
from humtrack.models import ApiToken, TokenScope


def request_token(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def request_organisation(request):
    token = request_token(request)
    return token.organisation if token is not None else None


def request_actor(request) -> Actor:
    """Who a write through the API is attributed to: the partner organisation, or the staff user."""
    token = request_token(request)
    if token is not None:
        return Actor(organisation=token.organisation)
    return Actor(user=request.user)


def has_scope(request, scope: str) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    token = request_token(request)
    if token is not None:
        return token.has_scope(scope)
    return bool(getattr(user, "is_staff", False) and user.is_active)


class HasScope(BasePermission):
    """Requires the token scope in `required_scope` (set it on a subclass, or use scope_required)."""

    required_scope: str = TokenScope.READ

    def scope_for(self, request, view) -> str:
        return self.required_scope

    def has_permission(self, request, view):
        if not getattr(request.user, "is_authenticated", False):
            return False  # DRF answers 401 with the WWW-Authenticate challenge
        scope = self.scope_for(request, view)
        self.message = f"This token lacks the '{scope}' scope."
        return has_scope(request, scope)


def scope_required(scope: str) -> type[HasScope]:
    """A permission class requiring `scope` for every method, e.g. scope_required("alerts")."""
    return type(f"Has{scope.title()}Scope", (HasScope,), {"required_scope": scope})


class HasReadScope(HasScope):
    required_scope = TokenScope.READ


class HasWriteScope(HasScope):
    required_scope = TokenScope.WRITE


class HasAlertsScope(HasScope):
    required_scope = TokenScope.ALERTS


class ReadWriteScope(HasScope):
    """Reads (GET, HEAD, OPTIONS) need `read`; every other method needs `write`."""

    def scope_for(self, request, view) -> str:
        return TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE


def may_change_record(request, record) -> bool:
    """A partner changes only the records its organisation created; staff follow their region rights."""
    organisation = request_organisation(request)
    if organisation is not None:
        return getattr(record, "organisation_id", None) == organisation.pk
    user = request.user
    if getattr(user, "is_superuser", False):
        return True
    if not getattr(user, "is_staff", False):
        return False
    # A coordinator changes what lies in the regions assigned to them (as in the admin).
    region = record if record._meta.label == "access.Region" else getattr(record, "region", None)
    region = region or getattr(record, "origin", None)
    return region is None or can_edit_region(user, region)


def may_write_in_regions(request, data: dict) -> bool:
    """A coordinator's session writes only in the regions assigned to them, as in the admin.

    A fact's region must be theirs; a corridor's route must pass through one of theirs. Partners
    (tokens) may record facts anywhere; superusers too. Checked on create and on update, where a record
    may be moved to another region.
    """
    user = request.user
    if request_organisation(request) is not None or getattr(user, "is_superuser", False):
        return True
    region = data.get("region")
    if region is not None and not can_edit_region(user, region):
        return False
    route = list(data.get("regions") or [])
    return not route or can_edit_route(user, route)


class IsOwnOrganisationRecord(BasePermission):
    """Object permission for writes: the record's `organisation` is the token's organisation."""

    message = "This record belongs to another organisation; only its creator may change it."

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return may_change_record(request, obj)
