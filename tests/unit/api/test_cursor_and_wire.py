from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from tenant_api.cursor import InvalidCursor, decode_cursor, encode_cursor
from tenant_api.wire import CreateTenant, UpdateTenant
from tenant_contracts.tenant import PLANS


def test_cursor_round_trip() -> None:
    position = (datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), uuid.uuid4())
    assert decode_cursor(encode_cursor(*position)) == position


@pytest.mark.parametrize("forged", ["", "nope", "W10", "WyJ4IiwieSJd", "%%%"])
def test_forged_cursors_are_refused(forged: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(forged)


def test_plan_choices_are_the_contracts() -> None:
    # What clients see in the schema: the bodies accept exactly the contracts' plans.
    _, schemas = msgspec.json.schema_components([CreateTenant, UpdateTenant])
    create_plan = schemas["CreateTenant"]["properties"]["plan"]
    assert sorted(create_plan["enum"]) == sorted(PLANS) and create_plan["default"] in PLANS
    update_plan = schemas["UpdateTenant"]["properties"]["plan"]["anyOf"][0]
    assert sorted(update_plan["enum"]) == sorted(PLANS)
