from __future__ import annotations

import asyncio

from tenant_notifier.shared_call import SharedCall


async def test_callers_that_ask_together_share_one_call_and_a_later_one_gets_a_new_call() -> None:
    started: list[int] = []
    release = asyncio.Event()

    async def call() -> None:
        started.append(len(started))
        await release.wait()

    shared = SharedCall(call)
    first = [asyncio.create_task(shared()) for _ in range(100)]
    await asyncio.sleep(0)  # the shared call starts
    await asyncio.sleep(0)
    assert started == [0]
    # asked while the call runs: it may predate them, so they get a call of their own
    later = [asyncio.create_task(shared()) for _ in range(100)]
    await asyncio.sleep(0)
    assert started == [0]
    release.set()
    await asyncio.gather(*first, *later)
    assert started == [0, 1]


async def test_a_caller_that_gives_up_does_not_cancel_the_others_call() -> None:
    release = asyncio.Event()
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        await release.wait()

    shared = SharedCall(call)
    patient = asyncio.create_task(shared())
    try:
        async with asyncio.timeout(0.01):
            await shared()
    except TimeoutError:
        pass
    release.set()
    await patient
    assert calls == 1


async def test_a_failed_call_fails_its_callers_and_the_next_call_runs_afresh() -> None:
    outcomes = iter([RuntimeError("nats down"), None])

    async def call() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    shared = SharedCall(call)
    results = await asyncio.gather(shared(), shared(), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    await shared()
