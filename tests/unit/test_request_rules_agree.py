"""The api accepts a request only in the statuses where the provisioner acts on it.

If the two disagreed, the provisioner would skip a request the api accepted,
and the api would count that unanswered request as "busy" for ever. The ledger's
APPLIES_IN is built from contracts' ACCEPTS_IN; these tests hold it to that, and hold
contracts' table to the shape the ledger relies on.
"""

from __future__ import annotations

from tenant_contracts.events import TenantCancelRequested
from tenant_contracts.tenant import ACCEPTS_IN, OVERTAKES, Status
from tenant_provisioner.ledger import APPLIES_IN, Phase

QUEUED = {request: statuses for request, statuses in ACCEPTS_IN.items()
          if request not in OVERTAKES}


def test_every_accepted_status_is_a_phase_where_the_provisioner_acts() -> None:
    for request, statuses in QUEUED.items():
        phases = {Phase[status.name] for status in statuses}
        assert phases == set(APPLIES_IN[request]), request.__name__


def test_no_queued_request_is_accepted_while_busy_or_deleted() -> None:
    for statuses in QUEUED.values():
        assert statuses <= {Status.ACTIVE, Status.FAILED, Status.CANCELLED}


def test_only_a_cancel_overtakes_and_only_a_provisioning() -> None:
    # The ledger attaches a cancel to the provisioning request at its head instead of
    # queueing it: that holds only while the tenant is being provisioned.
    assert set(OVERTAKES) == {TenantCancelRequested}
    assert TenantCancelRequested not in APPLIES_IN
    assert ACCEPTS_IN[TenantCancelRequested] == {Status.PENDING, Status.PROVISIONING}
