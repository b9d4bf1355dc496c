"""Who makes a change: a person (admin, command) or a partner organisation (API), or both."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # For the annotations only: importing Actor never imports models (they need the app registry ready).
    from django.contrib.auth.models import AnonymousUser, User

    from humtrack.models import Organisation


@dataclass(frozen=True)
class Actor:
    user: "User | AnonymousUser | None" = None  # request.user in the admin and API sessions
    organisation: "Organisation | None" = None

    @property
    def person(self) -> "User | None":
        """The user a record names as its author: None for the system and for an anonymous request."""
        if self.user is None or not self.user.is_authenticated:
            return None
        return self.user

    @property
    def label(self) -> str:
        parts = []
        if self.user is not None:
            parts.append(self.user.get_username())
        if self.organisation is not None:
            parts.append(str(self.organisation))
        return " for ".join(parts) or "system"


SYSTEM = Actor()
