"""Hypothesis strategies for hostile bytes: arbitrary JSON, broken UTF-8, forged cursors
and tokens. Small on purpose: each fuzz target runs a bounded number of examples."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from tests.integration.hostile.tokens import signed, unsigned

# Every Unicode category, surrogates included (they cannot be UTF-8: encoded with
# surrogatepass they become the CESU-style bytes a hostile client may send).
any_text = st.text(st.characters(codec=None, categories=None), max_size=40)

scalars = (st.none() | st.booleans()
           | st.integers() | st.sampled_from([2**53, 2**63, 2**64, -(2**63) - 1, 10**400])
           | st.floats(allow_nan=False, allow_infinity=False) | any_text)
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=6)
    | st.dictionaries(any_text, children, max_size=6), max_leaves=30)


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _deep(levels: int) -> bytes:
    return b'{"name":"Acme","extra":' + b"[" * levels + b"]" * levels + b"}"


def _with_field(field: str, value: Any) -> bytes:
    body: dict[str, Any] = {"name": "Acme", "slug": "acme-fuzz",
                            "admin_email": "admin@acme.example"}
    body[field] = value
    return _encode(body)


def _splice(data: tuple[bytes, bytes]) -> bytes:
    garbage, valid = data
    middle = len(valid) // 2
    return valid[:middle] + garbage + valid[middle:]


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(_encode),
    st.tuples(st.sampled_from(["name", "slug", "admin_email", "plan", "unknown"]),
              json_values).map(lambda fv: _with_field(*fv)),
    st.integers(min_value=1, max_value=6000).map(_deep),
    st.tuples(st.binary(min_size=1, max_size=8),
              json_values.map(_encode)).map(_splice),  # invalid UTF-8 inside valid JSON
)

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
timestamps = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=offsets).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                     "2026-01-01T00:00:00", "not a time"]),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


cursors = st.one_of(
    any_text,
    json_values.map(lambda v: _b64(_encode(v))),
    st.tuples(timestamps, st.uuids().map(str) | any_text).map(
        lambda tu: _b64(json.dumps(list(tu)).encode())),
    st.binary(max_size=150).map(_b64),
)

claim_values = json_values | st.sampled_from([float("inf"), float("-inf"), float("nan")])
tokens = st.one_of(
    any_text,
    st.tuples(st.binary(max_size=200), st.binary(max_size=200)).map(lambda hp: unsigned(*hp)),
    st.tuples(json_values.map(_encode), json_values.map(_encode)).map(
        lambda hp: unsigned(*hp)),
    st.dictionaries(st.sampled_from(["sub", "roles", "exp", "nbf", "iat", "aud", "iss"]),
                    claim_values, max_size=4).map(lambda claims: signed(**claims)),
)
