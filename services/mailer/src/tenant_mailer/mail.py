"""Which emails an event calls for, and their text. Pure: no I/O.

A tenant that becomes Active: its first admin (admin_email) is welcomed. A tenant that
ends (Active, Failed, or any type listed in ENDINGS) while its owner watches no session:
the owner is told, at the address their token carried. Each email has a Message-ID
derived from the event and its kind, the same on every attempt, so a duplicate after
a crash can be told for one by a mail system (and by a person).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from tenant_contracts.events import EventBase, TenantActive, TenantFailed, TenantRequested
from tenant_contracts.tenant import Tenant

# Subject suffixes of the events that end a tenant's request. Cancelled is a status
# another change adds: listed here, it is handled once contracts knows its type.
ENDINGS: tuple[str, ...] = ("active", "failed", "cancelled")


@dataclass(frozen=True)
class Mail:
    kind: str  # "welcome" or "owner": with the event id, names the email once
    to: str
    subject: str
    body: str


def welcome(tenant: Tenant, event: TenantActive) -> Mail:
    return Mail("welcome", tenant.admin_email, f"Welcome to {tenant.name}",
                f"Hello,\n\nthe tenant {tenant.name} ({tenant.slug}) is ready, and you are "
                f"its first admin.\nIts database: {event.database}\n")


def owner_notice(tenant: Tenant, event: EventBase, owner_email: str) -> Mail:
    if isinstance(event, TenantActive):
        outcome = f"is Active. Its database: {event.database}"
    elif isinstance(event, TenantFailed):
        outcome = f"Failed after {event.attempts} attempt(s): {event.error}"
    else:  # another ending (Cancelled): its status says it
        outcome = f"ended {tenant.status}"
    return Mail("owner", owner_email, f"Tenant {tenant.name}: {tenant.status}",
                f"Hello,\n\nyour tenant {tenant.name} ({tenant.slug}, {tenant.id}) "
                f"{outcome}.\n\nYou were not signed in when it happened, hence this "
                f"email.\n")


def mails_for(tenant: Tenant, event: EventBase, requested: TenantRequested,
              owner_watching: bool) -> list[Mail]:
    mails = [welcome(tenant, event)] if isinstance(event, TenantActive) else []
    if requested.owner_email and not owner_watching:
        mails.append(owner_notice(tenant, event, requested.owner_email))
    return mails


def message(mail: Mail, event: EventBase, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(event.occurred_at.timestamp(), usegmt=True)
    msg["Message-ID"] = f"<{event.event_id}.{mail.kind}@tenant-platform>"
    msg.set_content(mail.body)
    return msg
