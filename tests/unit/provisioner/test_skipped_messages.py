"""A history that skipped messages still names the tenant's last seq for the next append."""

from __future__ import annotations

from tenant_contracts.history import History
from tenant_provisioner.decision import Policy, Provision, decide
from tenant_provisioner.ledger import replay
from tests.unit.provisioner.history import NOW, HistoryBuilder


def test_the_ledger_expects_the_last_seq_read_not_the_last_event_kept() -> None:
    h = HistoryBuilder()
    seq = h.requested()
    skipped_after = h.last_seq + 3  # say an undecodable message on the tenant's subject
    ledger = replay(History(h.events, last_seq=skipped_after))
    assert ledger.last_seq == skipped_after
    assert ledger.head is not None and ledger.head.seq == seq
    assert decide(ledger, seq, NOW, Policy()) == Provision(attempt=1, begin=True)


def test_a_history_is_the_sequence_of_its_events() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1, stages=1)
    history = History(h.events, last_seq=h.last_seq + 1)
    assert list(history) == h.events and history[-1] == h.events[-1] and len(history) == 3


def test_a_plain_sequence_skipped_nothing() -> None:
    h = HistoryBuilder()
    h.requested()
    h.attempt(1, stages=2)
    assert replay(h.events).last_seq == h.events[-1][0]
