from __future__ import annotations

import typing
import uuid
from datetime import UTC, datetime

import pytest

from tenant_api.cursor import InvalidCursor, decode_cursor, encode_cursor
from tenant_api.wire import Plan
from tenant_contracts.tenant import PLANS


def test_cursor_round_trip() -> None:
    position = (datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), uuid.uuid4())
    assert decode_cursor(encode_cursor(*position)) == position


@pytest.mark.parametrize("forged", ["", "nope", "W10", "WyJ4IiwieSJd", "%%%"])
def test_forged_cursors_are_refused(forged: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(forged)


def test_plan_choices_are_the_contracts() -> None:
    assert typing.get_args(Plan) == PLANS
