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

    def advisory_failed() -> bool:
        return any("max-deliveries advisory" in log and "maximum messages exceeded" in log
                   for log in provisioners.each_log())

    try:
        await wait_until(advisory_failed, timeout=20)
    except AssertionError:
        raise AssertionError(f"no failed advisory in {provisioners.each_log()}") from None
    await js.update_stream(info.config)  # appends are accepted again

    await wait_for_type(js, tenant.tenant_id, "TenantFailed", timeout=20)
    final = (await history(js, tenant.tenant_id))[-1][1]
    assert isinstance(final, TenantFailed)
    assert final.error.startswith("gave up after 1 deliveries"), final.error
