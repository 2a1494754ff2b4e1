"""What an attacker with the stock `nats` CLI tried in issue 10, now refused; and what
the operator's recipes need, still allowed."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from tenant_contracts.subjects import STREAM_NAME
from tenantctl.nats_auth import PROVISIONER_CONSUMER, NatsCredentials, cli_connection_options
from tenantctl.nats_server import NatsServer
from tests.integration.security.conftest import cli_as
from tests.integration.security.support import Principal, fresh_subject, run_cli, stored_on


async def cli(server: NatsServer, principal: str | None, *args: str) -> tuple[int, str]:
    options = cli_as(server, principal) if principal else ["--server", server.url]
    done = await asyncio.to_thread(run_cli, options, *args)
    return done.returncode, done.stdout + done.stderr


async def test_anonymous_cli_reads_nothing(guarded_stream: NatsServer) -> None:
    code, output = await cli(guarded_stream, None, "stream", "info", STREAM_NAME)
    assert code != 0 and "authorization violation" in output.lower(), output
    code, output = await cli(guarded_stream, None, "sub", "--stream", STREAM_NAME, "--all",
                             "--wait", "1s", "tenants.>")
    assert code != 0 and "authorization violation" in output.lower(), output


async def test_forged_publishes_are_not_stored(guarded_stream: NatsServer) -> None:
    admin = await Principal.connect(guarded_stream, "admin")
    try:
        attempts = [("api", fresh_subject("active")),
                    ("notifier", fresh_subject("requested")),
                    ("notifier", fresh_subject("active")),
                    ("operator", fresh_subject("requested")),
                    ("provisioner", fresh_subject("requested"))]
        for principal, subject in attempts:
            code, output = await cli(guarded_stream, principal, "pub", subject, "{}")
            # a core publish is fire-and-forget: the proof is what the stream holds
            assert not await stored_on(admin.js(5), subject), (principal, subject, output)
        allowed = fresh_subject("requested")
        code, output = await cli(guarded_stream, "api", "pub", allowed, "{}")
        assert code == 0, output
        assert await stored_on(admin.js(5), allowed)
    finally:
        await admin.close()


async def test_the_operator_reads_but_changes_nothing(guarded_stream: NatsServer) -> None:
    admin = await Principal.connect(guarded_stream, "admin")
    try:
        before = (await admin.js(5).stream_info(STREAM_NAME)).config
        reads = (["stream", "info", STREAM_NAME],
                 ["consumer", "info", STREAM_NAME, PROVISIONER_CONSUMER],
                 ["stream", "ls"],
                 ["consumer", "ls", STREAM_NAME])
        changes = [("operator", ["stream", "edit", STREAM_NAME, "--max-msgs", "1", "-f"]),
                   ("operator", ["stream", "rm", STREAM_NAME, "-f"]),
                   ("operator", ["stream", "purge", STREAM_NAME, "-f"]),
                   ("operator", ["consumer", "rm", STREAM_NAME, PROVISIONER_CONSUMER, "-f"]),
                   ("provisioner", ["consumer", "rm", STREAM_NAME, PROVISIONER_CONSUMER,
                                    "-f"])]
        # All at once: each refusal waits out the CLI's timeout (the server drops it).
        done = await asyncio.gather(*(cli(guarded_stream, "operator", *args) for args in reads),
                                    *(cli(guarded_stream, who, *args) for who, args in changes))
        for args, (code, output) in zip(reads, done, strict=False):
            assert code == 0, (args, output)
        for change, (code, output) in zip(changes, done[len(reads):], strict=True):
            assert code != 0, (change, output)
        assert (await admin.js(5).stream_info(STREAM_NAME)).config == before
        assert (await admin.js(5).consumer_info(STREAM_NAME, PROVISIONER_CONSUMER)).name
    finally:
        await admin.close()


async def test_admin_manages_consumers(guarded_stream: NatsServer) -> None:
    name = f"scratch-{uuid.uuid4().hex[:8]}"
    code, output = await cli(guarded_stream, "admin", "consumer", "add", STREAM_NAME, name,
                             "--pull", "--deliver", "all", "--ack", "explicit",
                             "--filter", "tenants.>", "--defaults")
    assert code == 0, output
    code, output = await cli(guarded_stream, "admin", "consumer", "rm", STREAM_NAME, name, "-f")
    assert code == 0, output


def test_a_password_that_begins_with_a_dash_still_works_on_the_cli(tmp_path: Path) -> None:
    """Generated passwords are base64url, so one in 64 begins with "-": what
    `tenantctl nats-creds` prints must not let the CLI read it as a flag."""
    generated = NatsCredentials.generate()
    credentials = NatsCredentials({**generated.passwords,
                                   "operator": "-" + generated.password("operator")})
    server = NatsServer(store_dir=tmp_path, auth=credentials).start()
    try:
        done = run_cli(cli_connection_options(server.url, credentials, "operator"), "rtt")
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout + done.stderr
