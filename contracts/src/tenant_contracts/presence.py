"""Who is watching: the notifiers' answer to "has this owner an open session?".

A core NATS request (not stored) on PRESENCE_SUBJECT, which every notifier replica
subscribes to (no queue group: each replica hears it). A replica holding at least one
open WebSocket session of the owner answers with its count; one holding none stays
silent. So the first answer means "somebody is watching", and no answer within the
asker's wait (or "no responders" when no notifier runs) means "nobody is".
"""

from __future__ import annotations

import msgspec

PRESENCE_SUBJECT = "presence.sessions"


class PresenceQuery(msgspec.Struct, frozen=True, kw_only=True):
    owner: str


class PresenceAnswer(msgspec.Struct, frozen=True, kw_only=True):
    sessions: int  # this replica's open sessions of the owner (always >= 1)
