"""The retry policy behind a max-deliveries advisory: the advisory comes once, so
recording its outcome is retried until done, or until the process stops."""

from __future__ import annotations

import asyncio
import logging
from itertools import islice

import pytest

from tenant_provisioner.failures import backoff, until_done


class Script:
    """An action that fails `failures` times, then succeeds; and a sleep that records."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.slept: list[float] = []

    async def action(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"nats blip {self.calls}")

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def inc(self) -> None:
        self.count += 1


def test_backoff_doubles_up_to_the_cap_and_never_ends() -> None:
    assert list(islice(backoff(0.5, 4.0), 7)) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


# What these tests read of the log is its loudness (a record per failure, its level) and
# that each record names the work (`what`, the caller's words): never the wording.


async def test_retries_with_backoff_until_the_action_succeeds(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    script, failed = Script(failures=3), Counter()
    done = await until_done(script.action, "recording X", stopping=lambda: False,
                            delays=backoff(0.5, 30), sleep=script.sleep, failed=failed.inc)
    assert done and script.calls == 4 and script.slept == [0.5, 1.0, 2.0]
    assert failed.count == 3
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 3 and all("recording X" in r.getMessage() for r in warned)
    assert "nats blip 3" in warned[-1].getMessage()  # the cause, as the action raised it
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_first_success_sleeps_and_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    script, failed = Script(failures=0), Counter()
    assert await until_done(script.action, "recording X", stopping=lambda: False,
                            delays=backoff(0.5, 30), sleep=script.sleep, failed=failed.inc)
    assert script.calls == 1 and script.slept == [] and not caplog.records
    assert failed.count == 0


async def test_keeps_failing_loudly_and_gives_up_only_when_the_process_stops(
        caplog: pytest.LogCaptureFixture) -> None:
    script, failed = Script(failures=10**6), Counter()
    done = await until_done(script.action, "recording X", stopping=lambda: script.calls >= 12,
                            delays=backoff(0.5, 30), sleep=script.sleep, failed=failed.inc)
    assert not done and script.calls == 12 and len(script.slept) == 11
    assert script.slept[-1] == 30 and failed.count == 12
    levels = [r.levelno for r in caplog.records if "recording X" in r.getMessage()]
    assert levels[0] == logging.WARNING and levels[-1] == logging.ERROR  # keeps failing
    assert len(levels) == 12 + 1  # one per failure, and the giving up
    assert "recording X" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.ERROR


async def test_cancelled_while_waiting_says_it_gave_up(caplog: pytest.LogCaptureFixture) -> None:
    script = Script(failures=10**6)

    async def cancelled(seconds: float) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await until_done(script.action, "recording X", stopping=lambda: False,
                         delays=backoff(0.5, 30), sleep=cancelled)
    assert script.calls == 1
    # Not silent: the last word is an error naming the work left undone.
    assert "recording X" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.ERROR
