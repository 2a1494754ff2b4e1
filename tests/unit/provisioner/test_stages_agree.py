"""The provisioner's per-stage tables name exactly contracts' stages: a stage added
in one place and not the other fails here, not in a tenant's provisioning."""

from __future__ import annotations

from tenant_contracts.tenant import STAGES
from tenant_provisioner.processor import STAGE_MESSAGES
from tenant_provisioner.tenant_db import TenantDatabases

STAGE_NAMES = [name for name, _ in STAGES]


def test_every_stage_has_its_progress_message() -> None:
    assert list(STAGE_MESSAGES) == STAGE_NAMES


def test_every_stage_has_its_work_and_the_work_exists() -> None:
    assert list(TenantDatabases.STAGE_WORK) == STAGE_NAMES
    for method in TenantDatabases.STAGE_WORK.values():
        assert callable(getattr(TenantDatabases, method)), method
