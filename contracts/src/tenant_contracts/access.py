"""Who may see and manage a tenant (SPEC sections 3 and 4).

Services verify the JWT themselves; this is the decision that follows, shared
so that the api's read model and the notifier's routing can never disagree.
"""

from __future__ import annotations

import msgspec

ADMIN_ROLE = "admin"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    sub: str
    roles: tuple[str, ...] = ()
    expires_at: int | None = None  # the token's exp, seconds since the epoch
    email: str | None = None  # the token's `email` claim, when it has one

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def may_see(self, owner: str) -> bool:
        return self.is_admin or owner == self.sub
