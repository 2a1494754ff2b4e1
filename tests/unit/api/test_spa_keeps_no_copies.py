"""The SPA keeps no copy of contracts' rules: it reads them from GET /api/v1/vocabulary.

A plan or stage name written into a static file, or a list of statuses or event types
(a table such as ACCEPTS_IN, a busy set, the events that take a request up), is a rule
retyped: it would drift from contracts the day one of them changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenant_contracts.events import EVENT_TYPES
from tenant_contracts.tenant import PLANS, STAGES, Status

STATIC = Path(__file__).parents[3] / "services" / "api" / "src" / "tenant_api" / "static"
PAGE_FILES = sorted([*STATIC.glob("*.js"), STATIC / "index.html"])

STATUS_NAMES = [s.value for s in Status]
EVENT_NAMES = [t.__name__ for t in EVENT_TYPES]
# Names the page may not write at all: any quoted literal, attribute value or object key.
NEVER_WRITTEN = [*PLANS, *(name for name, _ in STAGES)]


def _quoted(names: list[str]) -> str:
    return "|".join(re.escape(name) for name in names)


def _lists_of(names: list[str]) -> re.Pattern[str]:
    # Two or more of the names side by side in an array literal: a set or table of them.
    one = rf"""["'](?:{_quoted(names)})["']"""
    return re.compile(rf"\[\s*{one}\s*,\s*{one}")


LISTS = {"statuses": _lists_of(STATUS_NAMES), "event types": _lists_of(EVENT_NAMES)}
WORDS = re.compile(rf"""(?:["'=]|\b)(?:{_quoted(NEVER_WRITTEN)})(?:["']|\s*:)""", re.IGNORECASE)
TABLES = re.compile(r"\b(?:ACCEPTS_IN|OVERTAKES|BUSY_STATUSES|PLANS|STAGES)\s*=\s*[\[{]")


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_no_rule_is_retyped_in_the_page(path: Path) -> None:
    text = path.read_text()
    for what, pattern in LISTS.items():
        assert not pattern.search(text), f"{path.name} lists {what}: {pattern.search(text)}"
    assert not WORDS.search(text), f"{path.name} names a plan or stage: {WORDS.search(text)}"
    assert not TABLES.search(text), f"{path.name} defines a rule table: {TABLES.search(text)}"


def test_the_scan_finds_the_copies_it_is_meant_to_find() -> None:
    # The copies this test replaced, as they were written: each must be caught.
    retyped = [
        'export const PLANS = ["free", "pro", "enterprise"];',
        '<option value="pro">Pro</option>',
        'TenantRetryRequested: ["Failed", "Cancelled"],',
        'return ["TenantCancelled", "TenantActive", "TenantFailed"].includes(type);',
        '  creating_database: "Creating database",',
        'const IN_MOTION = new Set(["Provisioning", "Updating", "Deleting"]);',
        "const ACCEPTS_IN = {",
    ]
    for line in retyped:
        caught = (any(p.search(line) for p in LISTS.values()) or WORDS.search(line)
                  or TABLES.search(line))
        assert caught, line
    # ...and not the page's own words that merely contain one ("Provisioning", "professional").
    for line in ['status: "Provisioning"', "a professional plan", "improve"]:
        assert not (WORDS.search(line) or TABLES.search(line)), line
