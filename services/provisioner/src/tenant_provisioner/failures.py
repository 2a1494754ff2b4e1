"""Which failures are worth retrying (by SQLSTATE, without importing a driver), and
retrying a must-happen action until it is done."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator

log = logging.getLogger(__name__)

# 08 connection exception, 40 transaction rollback (deadlock, serialization),
# 53 insufficient resources (too many connections, disk full), 57 operator
# intervention (admin shutdown, cannot connect now), 58 system error.
_TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57", "58"})
# 55P03 lock_not_available (lock_timeout), 55006 object_in_use.
_TRANSIENT_CODES = frozenset({"55P03", "55006"})
_QUIET_FAILURES = 5  # after this many failures in a row, each one is logged as an error


def is_transient_sqlstate(sqlstate: str | None) -> bool:
    if not sqlstate:
        return False
    return sqlstate in _TRANSIENT_CODES or sqlstate[:2] in _TRANSIENT_CLASSES


class TenantDbError(Exception):
    """A failed step in a tenant database; `transient` decides retry versus TenantFailed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def backoff(first: float, cap: float) -> Iterator[float]:
    """Endless: first, twice that, ... then cap for ever."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


async def until_done(action: Callable[[], Awaitable[None]], what: str, *,
                     stopping: Callable[[], bool], delays: Iterator[float],
                     sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                     failed: Callable[[], object] = lambda: None) -> bool:
    """Runs `action` until it returns (True), waiting the next delay after each failure
    (each also calls `failed`: a metric); False only when `stopping()` says the process
    is going away. For work nothing else would ever redo: it must not end silently."""
    failures = 0
    try:
        for delay in delays:
            try:
                await action()
            except Exception as exc:
                failures += 1
                failed()
                level = logging.WARNING if failures < _QUIET_FAILURES else logging.ERROR
                log.log(level, "%s failed (attempt %d), retrying in %.1fs: %s: %s", what,
                        failures, delay, type(exc).__name__, exc, exc_info=failures == 1)
            else:
                if failures:
                    log.info("%s done after %d failed attempts", what, failures)
                return True
            if stopping():
                break
            await sleep(delay)
    except asyncio.CancelledError:
        log.error("gave up on %s after %d failed attempt(s): the process is stopping",
                  what, failures)
        raise
    log.error("gave up on %s after %d failed attempt(s): the process is stopping",
              what, failures)
    return False
