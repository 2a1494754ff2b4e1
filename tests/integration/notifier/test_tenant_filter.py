"""`tenant=<id>` sessions: exactly those tenants' events, live and across a resume."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.integration.notifier.support import Appender, Client, NotifierProcess, token


@pytest.fixture(params=["window", "stream"])
def filtered_notifier(request: pytest.FixtureRequest, notifier: NotifierProcess,
                      start_notifier: Callable[..., NotifierProcess]) -> NotifierProcess:
    # `stream`: a window of 5 cannot hold what was missed, the resume reads the stream
    return notifier if request.param == "window" else start_notifier(NOTIFIER_WINDOW="5")


def _only(url: str, *tenants: uuid.UUID) -> str:
    return url + "".join(f"&tenant={t}" for t in tenants)


async def test_a_one_tenant_session_gets_exactly_that_tenant_across_a_resume(
        filtered_notifier: NotifierProcess, appender: Appender) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    followed, _ = await appender.new_tenant(alice)
    other, _ = await appender.new_tenant(alice)
    bobs, _ = await appender.new_tenant(bob)
    notifier = filtered_notifier
    async with Client(_only(notifier.url(token(alice)), followed)) as client, \
            Client(_only(notifier.url(token(alice)), bobs)) as nosy, \
            Client(_only(notifier.url(token("root", "admin")), bobs)) as admin:
        seen = [await appender.progress(followed, 1)]
        await appender.progress(other, 1)
        bob_seq = await appender.progress(bobs, 1)
        seen.append(await appender.progress(followed, 2))
        await client.wait_seq(seen[-1])
        await admin.wait_seq(bob_seq)
        assert client.seqs() == seen
        assert admin.seqs() == [bob_seq]
    assert nosy.seqs() == []  # a tenant alice may not see: nothing, not even bob's

    missed = []
    for i in range(10):
        missed.append(await appender.progress(followed, i))
        await appender.progress(other, i)
        await appender.progress(bobs, i)
    async with Client(_only(notifier.url(token(alice), after=seen[-1]), followed)) as resumed:
        await resumed.wait_seq(missed[-1])
        live = await appender.progress(followed, 99)
        await appender.progress(other, 99)
        await resumed.wait_seq(live)
        assert resumed.seqs() == [*missed, live]
        assert {e["event"]["tenant_id"] for e in resumed.events()} == {str(followed)}


async def test_a_bad_tenant_parameter_closes_with_4400(notifier: NotifierProcess) -> None:
    async with Client(notifier.url(token("alice")) + "&tenant=acme") as client:
        assert await client.wait_closed() == 4400
