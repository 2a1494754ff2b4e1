"""Each hostile input of issue 16 against the notifier process, by name: a documented close
code (or an HTTP refusal before the upgrade), never 1011, never a traceback."""

from __future__ import annotations

from urllib.parse import quote

import nats
import pytest

from tenant_contracts.subjects import STREAM_NAME
from tests.e2e.harness import Platform
from tests.integration.hostile.conftest import Watch
from tests.integration.hostile.tokens import deep_json, padded, signed, unsigned
from tests.integration.hostile.wire import WsOutcome, ws_open

CLOSE_BAD_REQUEST, CLOSE_UNAUTHORIZED, CLOSE_AFTER_BEYOND_HEAD = 4400, 4401, 4416


def connect(platform: Platform, query: str, headers: list[tuple[bytes, bytes]] | None = None
            ) -> WsOutcome:
    return ws_open(platform.notifier_port, b"/ws?" + query.encode(), headers or [])


async def stream_head(platform: Platform) -> int:
    nc = await nats.connect(**platform.nats_options())
    try:
        return int((await nc.jetstream().stream_info(STREAM_NAME)).state.last_seq)
    finally:
        await nc.close()


@pytest.mark.parametrize("after", ["²", "١٢", "\uff11\uff12", "1" * 5000, "-1", "1.5", " 1", "+1",
                                   "9007199254740992"],
                         ids=["superscript", "arabic-indic", "fullwidth", "5000-digits",
                              "negative", "fraction", "space", "plus", "2**53"])
def test_after_takes_ascii_digits_up_to_2_53_only(
        platform: Platform, watch: Watch, after: str) -> None:
    outcome = connect(platform, f"access_token={signed()}&after={quote(after)}")
    assert outcome.close_code == CLOSE_BAD_REQUEST, outcome
    assert "0..9007199254740991" in outcome.close_reason


def test_a_bad_after_is_refused_before_the_token_is_looked_at(
        platform: Platform, watch: Watch) -> None:
    outcome = connect(platform, f"after={quote('²')}")  # no token at all
    assert outcome.close_code == CLOSE_BAD_REQUEST, outcome


async def test_after_beyond_the_head_closes_4416_and_tells_the_head(
        platform: Platform, watch: Watch) -> None:
    head = await stream_head(platform)
    outcome = connect(platform, f"access_token={signed()}&after={head + 1000}")
    assert outcome.close_code == CLOSE_AFTER_BEYOND_HEAD, outcome
    assert outcome.close_reason.endswith(f"head={head}"), outcome.close_reason
    at_head = connect(platform, f"access_token={signed()}&after={head}")
    assert at_head.welcome is not None and at_head.welcome["after"] == head, at_head


@pytest.mark.parametrize("exp", ["9999999999", 9e99, [1]])
def test_a_token_whose_exp_is_not_a_numeric_date_closes_4401(
        platform: Platform, watch: Watch, exp: object) -> None:
    outcome = connect(platform, f"access_token={signed(exp=exp)}")
    assert outcome.close_code == CLOSE_UNAUTHORIZED, outcome


def test_a_token_with_infinite_exp_or_deep_header_closes_4401(
        platform: Platform, watch: Watch) -> None:
    for token in (signed(exp=float("inf")), unsigned(deep_json(1500), b'{"sub":"x"}'),
                  unsigned(b'{"alg":"' + b"A" * 3000 + b'"}', b"{}")):
        outcome = connect(platform, f"access_token={token}")
        assert outcome.close_code == CLOSE_UNAUTHORIZED, outcome


def test_a_token_over_the_size_limit_closes_4401(platform: Platform, watch: Watch) -> None:
    token = padded(6000)  # the same limit as the api's (JWT_MAX_TOKEN_BYTES, 4096)
    by_header = connect(platform, "", [(b"Authorization", b"Bearer " + token.encode())])
    assert by_header.close_code == CLOSE_UNAUTHORIZED, by_header
    assert "longer than 4096" in by_header.close_reason
    assert connect(platform, f"access_token={padded(3000)}").welcome is not None


def test_a_megabyte_token_is_refused_before_the_upgrade(platform: Platform, watch: Watch) -> None:
    token = padded(1 << 20)
    assert connect(platform, f"access_token={token}").http_status == 414
    by_header = connect(platform, "", [(b"Authorization", b"Bearer " + token.encode())])
    assert by_header.http_status == 431


def test_a_request_head_over_16_kib_is_a_431(platform: Platform, watch: Watch) -> None:
    three = [(f"X-Filler-{i}".encode(), b"y" * 7000) for i in range(3)]
    assert connect(platform, f"access_token={signed()}", three).http_status == 431
    assert connect(platform, f"access_token={signed()}", three[:2]).welcome is not None


def test_two_authorization_headers_close_4400(platform: Platform, watch: Watch) -> None:
    bearer = b"Bearer " + signed().encode()
    outcome = connect(platform, "", [(b"Authorization", bearer), (b"Authorization", bearer)])
    assert outcome.close_code == CLOSE_BAD_REQUEST, outcome
