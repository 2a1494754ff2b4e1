"""Which failures of a stage are retried and which end the tenant Failed."""

from __future__ import annotations

import asyncpg
import pytest

from tenant_provisioner.tenant_db import to_db_error


@pytest.mark.parametrize("error", [
    ConnectionRefusedError("refused"), ConnectionResetError("reset"), TimeoutError(),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.InternalClientError("unexpected protocol state"),  # PostgreSQL restarting
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    asyncpg.exceptions.AdminShutdownError("terminating connection"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.DeadlockDetectedError("deadlock"),
])
def test_a_lost_connection_or_a_busy_server_is_retried(error: Exception) -> None:
    assert to_db_error(error).transient


@pytest.mark.parametrize("error", [
    asyncpg.exceptions.InsufficientPrivilegeError("permission denied"),
    asyncpg.exceptions.SyntaxOrAccessError("bad migration"),
    ValueError("a bug"),
])
def test_a_refusal_or_a_bug_is_not_retried(error: Exception) -> None:
    assert not to_db_error(error).transient
