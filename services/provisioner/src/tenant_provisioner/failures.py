"""Which PostgreSQL failures are worth retrying (by SQLSTATE, without importing a driver)."""

from __future__ import annotations

# 08 connection exception, 40 transaction rollback (deadlock, serialization),
# 53 insufficient resources (too many connections, disk full), 57 operator
# intervention (admin shutdown, cannot connect now), 58 system error.
_TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57", "58"})
# 55P03 lock_not_available (lock_timeout), 55006 object_in_use.
_TRANSIENT_CODES = frozenset({"55P03", "55006"})


def is_transient_sqlstate(sqlstate: str | None) -> bool:
    if not sqlstate:
        return False
    return sqlstate in _TRANSIENT_CODES or sqlstate[:2] in _TRANSIENT_CLASSES


class TenantDbError(Exception):
    """A failed step in a tenant database; `transient` decides retry versus TenantFailed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient
