from __future__ import annotations

from tenant_contracts.jwt_settings import DEFAULT_AUDIENCE
from tenant_tokens.mint import mint

__all__ = ["DEFAULT_AUDIENCE", "mint_token", "parse_ttl"]


def parse_ttl(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


# `tenantctl token` and the tests mint through the one helper the api uses too.
mint_token = mint
