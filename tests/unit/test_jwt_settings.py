"""One reading of the JWT settings, so the api and the notifier never disagree."""

from __future__ import annotations

import pytest

from tenant_contracts.jwt_settings import (
    ASYMMETRIC_ALGORITHMS,
    JwtSettingsError,
    jwt_settings_from_env,
)

PEM = "-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEA\\n-----END PUBLIC KEY-----"


def test_literal_newlines_of_an_env_file_become_real_ones() -> None:
    settings = jwt_settings_from_env({"JWT_PUBLIC_KEY": PEM})
    assert settings.public_key is not None and "\\n" not in settings.public_key
    assert settings.public_key.count("\n") == 2
    assert settings.algorithms == ASYMMETRIC_ALGORITHMS


def test_a_secret_allows_hs256_and_keys_allow_asymmetric_algorithms() -> None:
    assert jwt_settings_from_env({"JWT_SECRET": "s"}).algorithms == ("HS256",)
    both = jwt_settings_from_env({"JWT_SECRET": "s", "JWT_JWKS_URL": "http://idp/jwks"})
    assert both.algorithms == ("HS256", *ASYMMETRIC_ALGORITHMS)


@pytest.mark.parametrize("env", [
    {},
    {"JWT_SECRET": "s", "JWT_ALGORITHMS": "none"},
    {"JWT_SECRET": "s", "JWT_ALGORITHMS": "RS256"},  # no public key for it
    {"JWT_JWKS_URL": "http://idp/jwks", "JWT_ALGORITHMS": "HS256"},  # no secret for it
])
def test_settings_that_could_not_verify_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(JwtSettingsError):
        jwt_settings_from_env(env)


def test_audience_and_issuer() -> None:
    settings = jwt_settings_from_env({"JWT_SECRET": "s", "JWT_ISSUER": "https://idp"})
    assert (settings.audience, settings.issuer) == ("tenant-platform", "https://idp")
    assert jwt_settings_from_env({"JWT_SECRET": "s", "JWT_AUDIENCE": "x"}).audience == "x"


def test_both_services_read_the_same_settings() -> None:
    from tenant_api.settings import Settings as ApiSettings
    from tenant_notifier.settings import Settings as NotifierSettings

    env = {"JWT_PUBLIC_KEY": PEM, "JWT_JWKS_URL": "http://idp/jwks", "JWT_ISSUER": "i",
           "DATABASE_URL": "postgresql://x/y"}
    assert ApiSettings.from_env(env).jwt == NotifierSettings.from_env(env).jwt \
        == jwt_settings_from_env(env)
