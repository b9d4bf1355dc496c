"""Scopes a request needs, and who is asking.

A partner token carries scopes (`read`, `write`, `alerts`; humtrack.models.TokenScope). To require
one on a view, list a scope permission class:

    from humtrack.api.permissions import HasScope, ReadWriteScope, scope_required

    class SubscriptionViewSet(viewsets.ModelViewSet):
        permission_classes = [scope_required("alerts")]     # every method needs `alerts`

    class HasAlertsScope(HasScope):                          # the same, as a named class
        required_scope = "alerts"

    class RegionViewSet(...):
        permission_classes = [ReadWriteScope]               # GET/HEAD/OPTIONS need `read`, others `write`

`HasReadScope` and `HasAlertsScope` are ready-made. No credentials → 401, a
missing scope → 403. Staff signed in to the admin (session) hold every scope, so they can use the
browsable API; other session users hold none.

Who may change which record is not decided here: the kernel knows no regions. The rules are
access.policies, applied to API requests by access.api.permissions. `request_actor(request)` gives
the Actor to pass to the policies and the services.
"""

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

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
        self.message = _("This token lacks the '%(scope)s' scope.") % {"scope": scope}
        return has_scope(request, scope)


def scope_required(scope: str) -> type[HasScope]:
    """A permission class requiring `scope` for every method, e.g. scope_required("alerts")."""
    return type(f"Has{scope.title()}Scope", (HasScope,), {"required_scope": scope})


class HasReadScope(HasScope):
    required_scope = TokenScope.READ


class HasAlertsScope(HasScope):
    required_scope = TokenScope.ALERTS


class ReadWriteScope(HasScope):
    """Reads (GET, HEAD, OPTIONS) need `read`; every other method needs `write`."""

    def scope_for(self, request, view) -> str:
        return TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE
