"""The provisioner's Prometheus metrics (prometheus-client; process metrics come with
its default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("provisioner_requests_total",
                   "Requests handled, by outcome (done, later, drop, error)", ["outcome"])
ATTEMPTS = Counter("provisioner_attempts_total",
                   "Attempts begun at a provisioning, update or deletion", ["kind"])
STAGE_SECONDS = Histogram("provisioner_stage_seconds", "Time spent in each provisioning stage",
                          ["stage"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
# Messages on a tenant's subjects that its history reads skip (undecodable, or poison),
# counted at every read: a tenant whose histories keep skipping is worth a look.
HISTORY_SKIPPED = Counter("provisioner_history_skipped",
                          "Messages skipped (unreadable or poison) in the tenant histories read")
# An append that conflicted only with new requests or unreadable messages: the work in
# hand carried on after them, in the same attempt.
APPENDS_CARRIED_ON = Counter("provisioner_appends_carried_on",
                             "Appends repeated past requests or unreadable messages stored "
                             "meanwhile, without a new attempt")
# A failed try at work nothing else would redo (the outcome of a max-deliveries advisory).
OUTCOME_RETRIES = Counter("provisioner_outcome_retries",
                          "Failed tries at recording an outcome that is retried until done")
CONSUMER_PENDING = Gauge("provisioner_consumer_pending",
                         "Requests stored but not yet delivered to any provisioner")
CONSUMER_ACK_PENDING = Gauge("provisioner_consumer_ack_pending",
                             "Requests delivered and not yet acknowledged")
CONSUMER_REDELIVERED = Gauge("provisioner_consumer_redelivered",
                             "Requests delivered more than once and not yet acknowledged")
