"""The SPA's modules on their own, in Chromium: error parsing, backoff, retry notes."""

from __future__ import annotations

from typing import Any

from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack

FIELDS = ["name", "slug", "plan", "admin_email"]


async def run(open_spa: OpenSpa, module: str, body: str, arg: Any = None) -> Any:
    spa = await open_spa()
    script = f"async (arg) => {{ const m = await import('/{module}'); {body} }}"
    return await spa.page.evaluate(script, arg)


async def test_field_errors_are_found_under_any_of_the_usual_keys(open_spa: OpenSpa) -> None:
    problems = [
        {"errors": [{"field": "slug", "message": "taken"}]},
        {"errors": [{"pointer": "#/slug", "detail": "taken"}]},
        {"errors": [{"loc": ["body", "slug"], "msg": "taken"}]},
        {"extra": [{"key": "slug", "message": "taken", "source": "body"}]},
        {"errors": {"slug": ["taken"]}},
    ]
    parsed = await run(open_spa, "problem.js",
                       "return arg.problems.map(p => m.parseProblem(422, p, arg.fields));",
                       {"problems": problems, "fields": FIELDS})
    for problem, result in zip(problems, parsed, strict=True):
        assert result["fieldErrors"] == {"slug": "taken"}, problem
        assert result["formErrors"] == [], problem

    other = await run(open_spa, "problem.js", "return m.parseProblem(400, arg, ['slug']);",
                      {"title": "Bad Request", "detail": "no",
                       "errors": [{"field": "cursor", "message": "bad cursor"}]})
    assert other["fieldErrors"] == {}
    assert other["formErrors"] == ["bad cursor"]
    assert (other["title"], other["detail"]) == ("Bad Request", "no")


async def test_reconnect_delays_grow_with_jitter_up_to_a_cap(open_spa: OpenSpa) -> None:
    bounds = await run(open_spa, "live.js", """
        return [1, 2, 3, 4, 5, 6, 7, 20].map(n =>
          [m.backoffDelay(n, () => 0), m.backoffDelay(n, () => 0.999999)]);""")
    lows, highs = [b[0] for b in bounds], [b[1] for b in bounds]
    assert lows == [250, 500, 1000, 2000, 4000, 7500, 7500, 7500]
    assert highs == [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]


async def test_retry_notes_count_down_and_failures_say_how_many_attempts(
    open_spa: OpenSpa,
) -> None:
    now = 1_700_000_000_000
    tenants = [
        {"status": "Provisioning", "attempt": 2, "error": "refused",
         "retry_at": "2023-11-14T22:13:25Z"},
        {"status": "Provisioning", "attempt": 2, "error": "refused",
         "retry_at": "2023-11-14T22:13:10Z"},
        {"status": "Provisioning", "attempt": 3, "error": "refused", "retry_at": None},
        {"status": "Failed", "attempt": 3, "error": "refused", "retry_at": None},
        {"status": "Provisioning", "attempt": 1, "error": None, "retry_at": None},
    ]
    notes = await run(open_spa, "format.js",
                      f"return arg.map(t => m.attemptNote(t, {now})?.text ?? null);", tenants)
    assert notes == [
        "attempt 2 failed: refused, retrying in 5 s",
        "attempt 2 failed: refused, retrying now",
        "attempt 2 failed: refused; attempt 3 under way",
        "Failed after 3 attempts: refused",
        None,
    ]


async def test_the_apis_own_validation_errors_land_on_their_fields(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    bodies = [
        {"name": "Fine", "slug": "9bad", "admin_email": "a@b.io"},
        {"name": "Fine", "slug": "fine-slug", "admin_email": "nope"},
        {"name": "Fine", "slug": "fine-slug", "admin_email": "a@b.io", "plan": "gold"},
    ]
    answers = await run(open_spa, "api.js", """
        const api = m.createApi({ getToken: () => arg.token, onUnauthorized: () => {} });
        const out = [];
        for (const body of arg.bodies) {
          try { await api.createTenant(body, crypto.randomUUID()); out.push(null); }
          catch (error) { out.push([error.status, error.problem.fieldErrors]); }
        }
        return out;""", {"token": stack.platform.token(unique("val")), "bodies": bodies})
    fields = [(status, sorted(errors)) for status, errors in answers]
    assert fields == [(422, ["slug"]), (422, ["admin_email"]), (422, ["plan"])], answers


async def test_a_socket_resumed_beyond_the_stream_head_asks_for_a_fresh_list(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    # The notifier refuses with 4416 and the head; the page must start over, not retry.
    result = await run(open_spa, "live.js", """
        return await new Promise((resolve) => {
          const states = [];
          const live = new m.LiveConnection({
            url: arg.url, token: arg.token, after: arg.after, tokenExpired: () => false,
            onEvent: () => {}, onState: (s) => states.push(s.state),
            onUnauthorized: () => resolve({ unauthorized: true }),
            onBeyondHead: (head) => resolve({ head, states }),
          });
          live.start();
          setTimeout(() => resolve({ timeout: true, states }), 15000);
        });""", {"url": stack.platform.ws_url, "token": stack.platform.token(unique("head")),
                 "after": 10**15})
    assert isinstance(result.get("head"), int) and 0 <= result["head"] < 10**15, result
    assert "reconnecting" not in result["states"], result
