"""Each principal, with nats-py, against a server configured by tenantctl.nats_auth:
what it may do works, the rest is refused and leaves the stream as it was."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable

import nats
import pytest
from nats.errors import Error as NatsError
from nats.js.api import StreamConfig
from nats.js.errors import APIError

from tenant_contracts.codec import encode_event
from tenant_contracts.events import EVENT_TYPES, REQUEST_TYPES, TenantActive, TenantRequested
from tenant_contracts.stream import stream_config
from tenant_contracts.subjects import STREAM_NAME, append_headers, event_subject
from tenant_stream.event_log import EventLog
from tenant_stream.feed import OrderedFeed
from tenantctl.nats_auth import PROVISIONER_CONSUMER
from tenantctl.nats_server import NatsServer
from tests.conftest import wait_until
from tests.integration.security.support import (
    REFUSED_REQUEST_TIMEOUT,
    Principal,
    fresh_subject,
    stored_on,
)

Login = Callable[[str], Awaitable[Principal]]
NOT_ADMIN = ("api", "provisioner", "notifier", "operator")


async def test_a_client_without_credentials_is_refused(guarded_stream: NatsServer) -> None:
    with pytest.raises(NatsError, match=r"(?i)authorization"):
        await nats.connect(guarded_stream.url, allow_reconnect=False, connect_timeout=2)
    wrong = {**guarded_stream.connect_options("api"), "password": "not-the-password"}
    with pytest.raises(NatsError, match=r"(?i)authorization"):
        await nats.connect(**wrong, allow_reconnect=False, connect_timeout=2)


@pytest.mark.parametrize("name", ["api", "provisioner", "notifier", "operator"])
async def test_each_principal_appends_exactly_its_own_event_types(
        login: Login, name: str) -> None:
    """Request events are the api's (a request type added later too: the list comes
    from contracts), every other event type the provisioner's; nobody else appends."""
    principal, admin = await login(name), await login("admin")
    allowed = {"api": set(REQUEST_TYPES),
               "provisioner": set(EVENT_TYPES) - set(REQUEST_TYPES)}.get(name, set())
    subjects = {event_type: fresh_subject(event_type.suffix) for event_type in EVENT_TYPES}
    for subject in subjects.values():
        await principal.nc.publish(subject, b"{}")
    await principal.nc.flush()
    for event_type, subject in subjects.items():
        if event_type in allowed:
            await wait_until(lambda s=subject: stored_on(admin.js(5), s))  # type: ignore[misc]
        else:
            await principal.wait_refused(subject)
            assert not await stored_on(admin.js(5), subject)


async def test_the_api_appends_a_request_and_cannot_forge_an_outcome(login: Login) -> None:
    api = await login("api")
    request = TenantRequested(tenant_id=uuid.uuid4(), owner="alice", actor="alice",
                              name="Acme", slug="acme-sec", plan="free",
                              admin_email="a@acme.test")
    seq = await EventLog(api.nc).append(request, expected_last_seq=0)
    assert seq > 0
    forged = TenantActive(tenant_id=request.tenant_id, owner="alice", actor="system",
                          database="tenant_forged")
    with pytest.raises(asyncio.TimeoutError):
        await api.js().publish(event_subject(forged), encode_event(forged), stream=STREAM_NAME,
                               headers=append_headers(forged, seq))
    await api.wait_refused(event_subject(forged))
    history = [e for _, e in await EventLog((await login("admin")).nc).history(
        request.tenant_id)]
    assert history == [request]


@pytest.mark.parametrize("name", NOT_ADMIN)
async def test_nobody_but_admin_edits_or_deletes_the_stream_or_a_consumer(
        login: Login, name: str) -> None:
    principal, admin = await login(name), await login("admin")
    before = (await admin.js(5).stream_info(STREAM_NAME)).config
    js = principal.js()
    attempts: dict[str, Callable[[], Awaitable[object]]] = {
        f"$JS.API.STREAM.UPDATE.{STREAM_NAME}": lambda: js.update_stream(
            StreamConfig.from_response({**stream_config(replicas=1), "max_msgs": 1})),
        f"$JS.API.STREAM.DELETE.{STREAM_NAME}": lambda: js.delete_stream(STREAM_NAME),
        f"$JS.API.STREAM.PURGE.{STREAM_NAME}": lambda: js.purge_stream(STREAM_NAME),
        # nats-py's delete_msg ignores the context's timeout (5 s): the request by hand.
        f"$JS.API.STREAM.MSG.DELETE.{STREAM_NAME}": lambda: principal.nc.request(
            f"$JS.API.STREAM.MSG.DELETE.{STREAM_NAME}", b'{"seq": 1}',
            timeout=REFUSED_REQUEST_TIMEOUT),
        f"$JS.API.CONSUMER.DELETE.{STREAM_NAME}.{PROVISIONER_CONSUMER}": lambda: (
            js.delete_consumer(STREAM_NAME, PROVISIONER_CONSUMER)),
    }
    # All at once: each waits out its request timeout (the server drops a refused one).
    answers = await asyncio.gather(*(attempt() for attempt in attempts.values()),
                                   return_exceptions=True)
    assert all(isinstance(a, asyncio.TimeoutError) for a in answers), answers
    for subject in attempts:
        await principal.wait_refused(subject)
    after = await admin.js(5).stream_info(STREAM_NAME)
    assert after.config == before
    assert (await admin.js(5).consumer_info(STREAM_NAME, PROVISIONER_CONSUMER)).name


@pytest.mark.parametrize("name", ["api", "provisioner", "notifier"])
async def test_a_service_may_create_the_stream_but_not_change_it(login: Login,
                                                                name: str) -> None:
    """STREAM.CREATE is granted so each service can create or repair the stream at
    start; the server refuses a create whose config differs from the existing one."""
    js = (await login(name)).js(5)
    with pytest.raises(APIError) as refused:
        await js.add_stream(StreamConfig.from_response(
            {**stream_config(replicas=1), "max_msgs": 1}))
    assert refused.value.err_code == 10058, refused.value  # stream name already in use
    await js.add_stream(StreamConfig.from_response(stream_config(replicas=1)))  # same: fine


@pytest.mark.parametrize("name", ["api", "notifier", "operator"])
async def test_readers_cannot_take_over_the_provisioners_consumer(login: Login,
                                                                   name: str) -> None:
    """Creating a consumer by an existing name would edit it; pulling from it would
    steal the provisioner's requests."""
    principal = await login(name)
    js = principal.js()
    info = await (await login("admin")).js(5).consumer_info(STREAM_NAME, PROVISIONER_CONSUMER)
    edited = {"stream_name": STREAM_NAME, "config": {**info.config.as_dict(), "max_deliver": 1}}
    for subject in (f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}.{PROVISIONER_CONSUMER}",
                    f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM_NAME}.{PROVISIONER_CONSUMER}"):
        with pytest.raises(asyncio.TimeoutError):
            await principal.nc.request(subject, json.dumps(edited).encode(), timeout=1)
        await principal.wait_refused(subject)
    # The unnamed create takes the name from the body: the server keeps that to ephemerals.
    unnamed = f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}"
    answer = json.loads((await principal.nc.request(unnamed, json.dumps(edited).encode(),
                                                    timeout=5)).data)
    assert "error" in answer, answer
    with pytest.raises(asyncio.TimeoutError):
        await principal.nc.request(
            f"$JS.API.CONSUMER.MSG.NEXT.{STREAM_NAME}.{PROVISIONER_CONSUMER}", b"1",
            timeout=1)
    # The operator may look at it (README recipe), and so may the api (the operations view).
    if name not in ("operator", "api"):
        with pytest.raises(asyncio.TimeoutError):
            await js.consumer_info(STREAM_NAME, PROVISIONER_CONSUMER)
    after = await (await login("admin")).js(5).consumer_info(STREAM_NAME,
                                                            PROVISIONER_CONSUMER)
    assert after.config.max_deliver == info.config.max_deliver


@pytest.mark.parametrize("name", ["api", "notifier", "operator"])
async def test_readers_follow_the_stream_and_read_a_tenants_history(login: Login,
                                                                     name: str) -> None:
    api = await login("api")
    request = TenantRequested(tenant_id=uuid.uuid4(), owner="bob", actor="bob", name="B",
                              slug="b-sec", plan="free", admin_email="b@b.test")
    seq = await EventLog(api.nc).append(request, expected_last_seq=0)
    reader = await login(name)
    assert [e for _, e in await EventLog(reader.nc).history(request.tenant_id)] == [request]
    seen: list[int] = []

    async def on_message(message_seq: int, _msg: object) -> None:
        seen.append(message_seq)

    feed = OrderedFeed(reader.nc, on_message, position=seq - 1, name=f"{name}-feed")
    feed.start()
    try:
        await wait_until(lambda: seq in seen)
    finally:
        await feed.stop()
    assert reader.violations == []


async def test_the_provisioner_uses_its_own_consumer(login: Login) -> None:
    api, provisioner = await login("api"), await login("provisioner")
    request = TenantRequested(tenant_id=uuid.uuid4(), owner="carol", actor="carol", name="C",
                              slug="c-sec", plan="free", admin_email="c@c.test")
    await EventLog(api.nc).append(request, expected_last_seq=0)
    sub = await provisioner.js(5).pull_subscribe_bind(consumer=PROVISIONER_CONSUMER,
                                                      stream=STREAM_NAME)
    wanted = event_subject(request)
    while True:  # earlier tests' requests come first
        (msg,) = await sub.fetch(1, timeout=5)
        await msg.ack_sync(timeout=5)
        if msg.subject == wanted:
            break
    await sub.unsubscribe()
    assert provisioner.violations == []


async def test_admin_manages_the_stream(login: Login) -> None:
    js = (await login("admin")).js(5)
    config = (await js.stream_info(STREAM_NAME)).config
    assert (await js.update_stream(config)).config.name == STREAM_NAME
