"""The max-deliveries advisory is a one-shot core NATS message: when recording its
outcome fails (JetStream refuses appends for a while), the provisioner keeps trying
instead of leaving the request without an outcome."""

from __future__ import annotations

import dataclasses

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy

from tenant_contracts.events import TenantFailed
from tenant_contracts.subjects import STREAM_NAME
from tests.conftest import wait_until
from tests.integration.provisioner.support import (
    Provisioners,
    history,
    request_tenant,
    types,
    wait_for_type,
)


async def test_an_advisory_whose_outcome_could_not_be_appended_is_retried(
    js: JetStreamContext, provisioners: Provisioners
) -> None:
    tenant = await request_tenant(js)
    # The stream accepts nothing more: every append (the attempt's and the
    # advisory's TenantFailed) is refused with "maximum messages exceeded".
    info = await js.stream_info(STREAM_NAME)
    assert info.state.messages
    await js.update_stream(dataclasses.replace(
        info.config, max_msgs=info.state.messages, discard=DiscardPolicy.NEW))
    provisioners.start(PROVISIONER_MAX_DELIVER="1", PROVISIONER_BACKOFF_SECONDS="0.2")

    (process,) = provisioners.running

    def advisory_failed() -> bool:
        # The advisory came, and recording its outcome failed at least once.
        try:
            retries = provisioners.metrics(process).get("provisioner_outcome_retries_total", 0)
        except OSError:
            return False  # not serving its metrics yet
        return retries >= 1

    try:
        await wait_until(advisory_failed, timeout=20)
    except AssertionError:
        raise AssertionError(f"no failed advisory in {provisioners.each_log()}") from None
    assert await types(js, tenant.tenant_id) == ["TenantRequested"]  # nothing recorded yet
    await js.update_stream(info.config)  # appends are accepted again

    await wait_for_type(js, tenant.tenant_id, "TenantFailed", timeout=20)
    final = (await history(js, tenant.tenant_id))[-1][1]
    assert isinstance(final, TenantFailed)
    assert final.error.startswith("gave up after 1 deliveries"), final.error
