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


def test_backoff_doubles_up_to_the_cap_and_never_ends() -> None:
    assert list(islice(backoff(0.5, 4.0), 7)) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


async def test_retries_with_backoff_until_the_action_succeeds(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    script = Script(failures=3)
    done = await until_done(script.action, "recording X", stopping=lambda: False,
                            delays=backoff(0.5, 30), sleep=script.sleep)
    assert done and script.calls == 4 and script.slept == [0.5, 1.0, 2.0]
    failed = [r for r in caplog.records if "recording X failed" in r.getMessage()]
    assert [r.levelno for r in failed] == [logging.WARNING] * 3
    assert "nats blip 3" in failed[-1].getMessage()
    assert any("recording X done after 3 failed attempts" in r.getMessage()
               for r in caplog.records)


async def test_a_first_success_sleeps_and_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    script = Script(failures=0)
    assert await until_done(script.action, "recording X", stopping=lambda: False,
                            delays=backoff(0.5, 30), sleep=script.sleep)
    assert script.calls == 1 and script.slept == [] and not caplog.records


async def test_keeps_failing_loudly_and_gives_up_only_when_the_process_stops(
        caplog: pytest.LogCaptureFixture) -> None:
    script = Script(failures=10**6)
    done = await until_done(script.action, "recording X", stopping=lambda: script.calls >= 12,
                            delays=backoff(0.5, 30), sleep=script.sleep)
    assert not done and script.calls == 12 and len(script.slept) == 11
    assert script.slept[-1] == 30
    levels = [r.levelno for r in caplog.records if "recording X failed" in r.getMessage()]
    assert levels[0] == logging.WARNING and levels[-1] == logging.ERROR  # keeps failing
    assert "gave up on recording X after 12 failed attempt" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.ERROR


async def test_cancelled_while_waiting_says_it_gave_up(caplog: pytest.LogCaptureFixture) -> None:
    script = Script(failures=10**6)

    async def cancelled(seconds: float) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await until_done(script.action, "recording X", stopping=lambda: False,
                         delays=backoff(0.5, 30), sleep=cancelled)
    assert script.calls == 1
    assert "gave up on recording X after 1 failed attempt" in caplog.records[-1].getMessage()
