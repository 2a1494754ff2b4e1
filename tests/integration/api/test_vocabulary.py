"""GET /api/v1/vocabulary: the SPA's rules are contracts' and the api bodies' own."""

from __future__ import annotations

import re

from tenant_contracts import tenant as lifecycle
from tenant_contracts.events import EVENT_TYPES, REQUEST_TYPES
from tests.integration.api.support import Api


def _names(types: object) -> list[str]:
    return [t.__name__ for t in types]  # type: ignore[attr-defined]


async def test_the_vocabulary_is_the_contracts(api: Api) -> None:
    response = await api.client.get("/api/v1/vocabulary")  # no token: the page loads it first
    assert response.status_code == 200, response.text
    served = response.json()

    assert served["statuses"] == [s.value for s in lifecycle.Status]
    for key, statuses in [("busy_statuses", lifecycle.BUSY_STATUSES),
                          ("working_statuses", lifecycle.WORKING_STATUSES),
                          ("terminal_statuses", lifecycle.TERMINAL_STATUSES)]:
        assert set(served[key]) == {s.value for s in statuses}, key
    assert served["event_types"] == _names(EVENT_TYPES)
    assert served["request_types"] == _names(REQUEST_TYPES)
    assert {t: set(s) for t, s in served["accepts_in"].items()} == {
        t.__name__: {s.value for s in statuses} for t, statuses in lifecycle.ACCEPTS_IN.items()}
    assert {t: set(s) for t, s in served["overtakes"].items()} == {
        t.__name__: set(names) for t, names in lifecycle.OVERTAKES.items()}
    assert served["keeps_pending"] == _names(lifecycle.KEEPS_PENDING)
    assert served["taken_up_only_by"] == {
        t.__name__: _names(answers) for t, answers in lifecycle.TAKEN_UP_ONLY_BY.items()}
    assert served["plans"] == list(lifecycle.PLANS)
    assert served["stages"] == [{"name": n, "percent": p} for n, p in lifecycle.STAGES]
    assert served["fields"]["slug"]["pattern"] == lifecycle.SLUG_PATTERN


async def test_the_field_rules_are_the_bodies_and_in_the_schema(api: Api) -> None:
    fields = (await api.client.get("/api/v1/vocabulary")).json()["fields"]
    schema = (await api.client.get("/schema/openapi.json")).json()
    body = schema["components"]["schemas"]["CreateTenant"]["properties"]
    for name in ("name", "admin_email"):
        assert fields[name]["pattern"] == body[name]["pattern"], name
        assert fields[name]["max_length"] == body[name]["maxLength"], name
    assert body["slug"]["pattern"] == fields["slug"]["pattern"]
    assert sorted(body["plan"]["enum"]) == sorted(lifecycle.PLANS)
    # The slug's lengths are those its pattern allows.
    slug = re.compile(fields["slug"]["pattern"])
    shortest, longest = fields["slug"]["min_length"], fields["slug"]["max_length"]
    assert slug.fullmatch("a" * shortest) and not slug.fullmatch("a" * (shortest - 1))
    assert slug.fullmatch("a" * longest) and not slug.fullmatch("a" * (longest + 1))

    route = schema["paths"]["/api/v1/vocabulary"]["get"]
    reply = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert reply == {"$ref": "#/components/schemas/Vocabulary"}
    assert "accepts_in" in schema["components"]["schemas"]["Vocabulary"]["properties"]
