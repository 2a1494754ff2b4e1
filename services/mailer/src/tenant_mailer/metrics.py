"""The mailer's Prometheus metrics (prometheus-client; process metrics come with its
default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS = Counter("mailer_events_total",
                 "Ending events handled, by outcome (done: acked after its emails; later: "
                 "handed back with a delay; drop: unreadable, terminated)", ["outcome"])
EMAILS = Counter("mailer_emails_total",
                 "Emails by kind and outcome (accepted by the SMTP server, refused for good)",
                 ["kind", "outcome"])
CONSUMER_PENDING = Gauge("mailer_consumer_pending",
                         "Ending events stored but not yet delivered to any mailer")
CONSUMER_ACK_PENDING = Gauge("mailer_consumer_ack_pending",
                             "Ending events delivered and not yet acknowledged")
