"""Who is acting: the signed-in user as services see them, and the role rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from relaydesk.errors import NotPermitted

ROLE_RANK = {"viewer": 0, "engineer": 1, "admin": 2, "owner": 3}


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    account_id: uuid.UUID
    role: str
    name: str
    email: str
    via: Literal["cookie", "token", "system"] = "cookie"
    csrf_token: str | None = None

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def is_manager(self) -> bool:
        """Admins and owners manage users and settings and see every session."""
        return self.at_least("admin")

    def require(self, role: str, doing: str) -> None:
        if not self.at_least(role):
            raise NotPermitted(
                f"Your role ({self.role}) cannot {doing}; ask an admin or owner of your account."
            )
