"""Who makes a change: a person (admin, command) or a partner organisation (API), or both."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Actor:
    user: "settings.AUTH_USER_MODEL | None" = None
    organisation: "object | None" = None

    @property
    def label(self) -> str:
        parts = []
        if self.user is not None:
            parts.append(self.user.get_username())
        if self.organisation is not None:
            parts.append(str(self.organisation))
        return " for ".join(parts) or "system"


SYSTEM = Actor()
