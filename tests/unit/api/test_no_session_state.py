"""The api's pool skips asyncpg's reset query (runtime._keep_session): that is only
right while no statement of the api leaves state in a PostgreSQL session."""

from __future__ import annotations

import re
from pathlib import Path

import tenant_api

# A statement that starts with SET (not SET LOCAL), LISTEN or DECLARE; a session lock;
# set_config(..., false); asyncpg's listeners.
SESSION_STATE = re.compile(
    r"pg_advisory_lock|pg_try_advisory_lock\(|[\"']\s*(SET\s+(?!LOCAL)|LISTEN\b|DECLARE\b)"
    r"|set_config\([^)]*false|add_listener", re.IGNORECASE)


def test_no_statement_of_the_api_leaves_session_state() -> None:
    found = []
    for source in Path(tenant_api.__file__).parent.glob("*.py"):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if SESSION_STATE.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{source.name}:{number}: {line.strip()}")
    assert found == []


def test_the_check_finds_a_session_lock_and_a_set() -> None:
    assert SESSION_STATE.search("await conn.execute('SELECT pg_advisory_lock($1)', key)")
    assert SESSION_STATE.search('await conn.execute("SET statement_timeout = 100")')
    assert not SESSION_STATE.search('await conn.execute("SET LOCAL lock_timeout = 100")')
    assert not SESSION_STATE.search("SELECT pg_advisory_xact_lock($1)")
