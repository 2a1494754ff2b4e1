"""The TENANTS stream configuration, as the JetStream API's JSON fields.

Kept free of nats-py so that contracts stays stdlib + msgspec; adapters pass it
to nats-py as `StreamConfig.from_response(stream_config(...))`.
"""

from __future__ import annotations

from typing import Any

from tenant_contracts.subjects import ALL_SUBJECTS, STREAM_NAME


def stream_config(replicas: int = 1) -> dict[str, Any]:
    return {
        "name": STREAM_NAME,
        "subjects": [ALL_SUBJECTS],
        "retention": "limits",
        "storage": "file",
        "max_age": 0,  # no age limit: the stream is the system of record
        "num_replicas": replicas,
        "deny_delete": True,  # an immutable log
        "deny_purge": True,
        "allow_direct": True,
        "duplicate_window": 2 * 60 * 1_000_000_000,  # ns; dedup of Nats-Msg-Id
        "discard": "old",
    }
