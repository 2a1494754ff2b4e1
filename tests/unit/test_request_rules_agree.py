"""The api accepts a request only in the statuses where the provisioner acts on it.

If the two disagreed, the provisioner would skip a request the api accepted,
and the api would count that unanswered request as "busy" for ever.
"""

from __future__ import annotations

from tenant_contracts.tenant import ACCEPTS_IN, Status
from tenant_provisioner.ledger import _APPLIES_IN, Phase


def test_every_accepted_status_is_a_phase_where_the_provisioner_acts() -> None:
    for request, statuses in ACCEPTS_IN.items():
        phases = {Phase[status.name] for status in statuses}
        assert phases == set(_APPLIES_IN[request]), request.__name__


def test_no_request_is_accepted_while_busy_or_deleted() -> None:
    for statuses in ACCEPTS_IN.values():
        assert statuses <= {Status.ACTIVE, Status.FAILED}
