"""The rules the SPA applies in the browser, served from where they are defined.

The page folds socket events, enables buttons and checks forms before it sends them;
it reads every table and field rule it needs here (`GET /api/v1/vocabulary`) instead
of keeping a copy that could drift from contracts and the api's bodies.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import inspect

from tenant_api.wire import Email, Name
from tenant_contracts.events import EVENT_TYPES, REQUEST_TYPES
from tenant_contracts.tenant import (
    ACCEPTS_IN,
    BUSY_STATUSES,
    DEFAULT_PLAN,
    KEEPS_PENDING,
    OVERTAKES,
    PLANS,
    SLUG_MAX_LENGTH,
    SLUG_MIN_LENGTH,
    SLUG_PATTERN,
    STAGES,
    TAKEN_UP_ONLY_BY,
    TERMINAL_STATUSES,
    WORKING_STATUSES,
    Status,
)


class Stage(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    percent: int  # reached when the stage starts


class TextRule(msgspec.Struct, frozen=True, kw_only=True):
    # A JSON Schema / ECMAScript pattern the whole value must match.
    pattern: str
    min_length: int
    max_length: int


class FieldRules(msgspec.Struct, frozen=True, kw_only=True):
    name: TextRule
    slug: TextRule
    admin_email: TextRule


class Vocabulary(msgspec.Struct, frozen=True, kw_only=True):
    statuses: list[Status]
    busy_statuses: list[Status]
    working_statuses: list[Status]
    terminal_statuses: list[Status]
    event_types: list[str]
    request_types: list[str]
    accepts_in: dict[str, list[Status]]
    overtakes: dict[str, list[str]]
    keeps_pending: list[str]
    taken_up_only_by: dict[str, list[str]]
    plans: list[str]
    default_plan: str
    stages: list[Stage]
    fields: FieldRules


def vocabulary() -> Vocabulary:
    return Vocabulary(
        statuses=list(Status),
        busy_statuses=_in_order(BUSY_STATUSES),
        working_statuses=_in_order(WORKING_STATUSES),
        terminal_statuses=_in_order(TERMINAL_STATUSES),
        event_types=[t.__name__ for t in EVENT_TYPES],
        request_types=[t.__name__ for t in REQUEST_TYPES],
        accepts_in={t.__name__: _in_order(s) for t, s in ACCEPTS_IN.items()},
        overtakes={t.__name__: sorted(names) for t, names in OVERTAKES.items()},
        keeps_pending=[t.__name__ for t in KEEPS_PENDING],
        taken_up_only_by={t.__name__: [a.__name__ for a in answers]
                          for t, answers in TAKEN_UP_ONLY_BY.items()},
        plans=list(PLANS),
        default_plan=DEFAULT_PLAN,
        stages=[Stage(name=name, percent=percent) for name, percent in STAGES],
        fields=FieldRules(
            name=_text_rule(Name),
            slug=TextRule(pattern=SLUG_PATTERN, min_length=SLUG_MIN_LENGTH,
                          max_length=SLUG_MAX_LENGTH),
            admin_email=_text_rule(Email),
        ),
    )


def _in_order(statuses: frozenset[Status]) -> list[Status]:
    return [status for status in Status if status in statuses]


def _text_rule(annotated: Any) -> TextRule:
    # Read off the body's own constraints, so the page checks exactly what the api does.
    info = inspect.type_info(annotated)
    if isinstance(info, inspect.Metadata):
        info = info.type
    if not (isinstance(info, inspect.StrType) and info.pattern and info.max_length):
        raise TypeError(f"{annotated} is not a string with a pattern and a maximum length")
    return TextRule(pattern=info.pattern, min_length=info.min_length or 1,
                    max_length=info.max_length)
