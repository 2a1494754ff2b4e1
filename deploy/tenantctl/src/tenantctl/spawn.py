"""Starting a child so that Ctrl-C can never leave it unrecorded.

`tenantctl dev` aborts a start by raising from its signal handler. Raised between
Popen and the line that records the child, that would leave a process nobody stops,
so starts run in `interrupts_deferred()` and the handler goes through `run_or_defer`.
(Blocking the signals instead would be inherited by the children, which then ignore
SIGTERM.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_depth = 0
_deferred: list[Callable[[], None]] = []


def run_or_defer(action: Callable[[], None]) -> None:
    if _depth:
        _deferred.append(action)
    else:
        action()


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth and _deferred:
            pending = list(_deferred)
            _deferred.clear()
            for action in pending:
                action()
