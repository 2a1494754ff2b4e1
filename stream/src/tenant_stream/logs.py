"""The one logging setup of every service: JSON, one object per line, on stderr.

Each line has `ts` (UTC, ISO 8601), `level`, `logger` and `message`, then whatever
the call passed in `extra=`, `exc_info` for a traceback (one JSON string, so a
traceback never spans lines), and `trace_id`/`span_id` when a span is current,
so a line leads to its trace. Libraries' loggers (uvicorn, websockets, asyncio,
the OpenTelemetry SDK) reach the same root handler: uvicorn must be started with
`log_config=None`, or it installs its own text handlers.

python-json-logger does the encoding (extras, exceptions, odd values); the trace
ids are added here at format time, which is safe because the handler is
synchronous: a record is formatted on the task and thread that logged it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, TypeVar

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from tenant_contracts.env import SettingsError

log = logging.getLogger(__name__)


class JsonLines(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(["levelname", "name", "message"],
                         rename_fields={"levelname": "level", "name": "logger"},
                         # uvicorn's extra copy of each message, with terminal colours
                         reserved_attrs=[*RESERVED_ATTRS, "color_message"])

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        log_data["ts"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            log_data["trace_id"] = trace.format_trace_id(context.trace_id)
            log_data["span_id"] = trace.format_span_id(context.span_id)


def configure_logging(level: str = "INFO") -> None:
    """Route every logger to one JSON handler on stderr; call first thing in main().

    Called again (once the settings are read) it only changes the level.
    """
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonLines) for h in root.handlers):
        for handler in list(root.handlers):
            root.removeHandler(handler)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        root.addHandler(handler)
        logging.captureWarnings(True)  # warnings.warn() lines are JSON too
        sys.excepthook = _log_uncaught
    try:
        root.setLevel(level.upper())
    except ValueError:
        root.setLevel(logging.INFO)
        log.warning("unknown LOG_LEVEL %r: logging at INFO", level)


def _log_uncaught(kind: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
    # The interpreter would print the traceback as plain text: the one non-JSON line.
    if issubclass(kind, KeyboardInterrupt):
        logging.getLogger("uncaught").warning("interrupted")
        return
    logging.getLogger("uncaught").critical("the process ends on an uncaught exception",
                                           exc_info=(kind, exc, tb))


class _Settings(Protocol):
    @property
    def log_level(self) -> str: ...


S = TypeVar("S", bound=_Settings)


def settings_or_exit(service: str, read: Callable[[Mapping[str, str]], S]) -> S:
    """Every service's start: JSON logs first (even a bad setting is a JSON line), the
    settings from the environment, and on a bad one a single line naming it and exit 2."""
    configure_logging()
    try:
        settings = read(os.environ)
    except SettingsError as exc:
        logging.getLogger(service).critical("%s: %s", service, exc)
        sys.exit(2)
    configure_logging(settings.log_level)
    return settings
