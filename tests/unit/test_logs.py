"""The services' one logging setup (tenant_stream.logs): every line a JSON object.

Run in child processes: the setup takes over the root logger, stderr and
sys.excepthook, which pytest's own capture must keep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

SCRIPT = r'''
import logging, warnings
from opentelemetry.sdk.trace import TracerProvider
from tenant_stream.logs import configure_logging

configure_logging()
configure_logging("warning")  # again, as main() does once the settings are read: level only
configure_logging("info")
log = logging.getLogger("demo")
log.info("created %s", "t1", extra={"tenant": "t1"})
log.debug("not at INFO")
with TracerProvider().get_tracer("test").start_as_current_span("work") as span:
    context = span.get_span_context()
    log.warning("inside %032x %016x", context.trace_id, context.span_id)
try:
    1 / 0
except ZeroDivisionError:
    log.exception("failed\nover two lines")
warnings.warn("careful", UserWarning)
raise RuntimeError("the end")
'''


def run(script: str, env: dict[str, str] | None = None) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    return done.returncode, [json.loads(line) for line in lines]


def test_every_line_is_one_json_object_with_the_trace_of_the_current_span() -> None:
    code, records = run(SCRIPT)
    assert code == 1
    created, inside, failed, warned, uncaught = records
    assert created.keys() >= {"ts", "level", "logger", "message"}
    assert list(created)[:4] == ["ts", "level", "logger", "message"]
    assert created["ts"].endswith("+00:00")
    assert (created["level"], created["logger"], created["message"], created["tenant"]) == (
        "INFO", "demo", "created t1", "t1")
    assert "trace_id" not in created and "span_id" not in created
    _, trace_id, span_id = inside["message"].split()
    assert (inside["trace_id"], inside["span_id"]) == (trace_id, span_id)
    assert failed["message"] == "failed\nover two lines"
    assert "ZeroDivisionError" in failed["exc_info"] and "Traceback" in failed["exc_info"]
    assert (warned["logger"], warned["level"]) == ("py.warnings", "WARNING")
    assert "careful" in warned["message"]
    assert uncaught["level"] == "CRITICAL"
    assert "RuntimeError: the end" in uncaught["exc_info"]


def test_an_unknown_level_falls_back_to_info_and_says_so() -> None:
    code, records = run("import logging\nfrom tenant_stream.logs import configure_logging\n"
                        "configure_logging('loud')\nlogging.getLogger('x').info('shown')")
    assert code == 0
    # The log is the only place a logging setting can be reported (the level is not a
    # setting that stops a service): its one line naming the variable is the interface.
    assert [r["message"] for r in records] == ["unknown LOG_LEVEL 'loud': logging at INFO",
                                               "shown"]


@pytest.mark.parametrize("module", ["tenant_api", "tenant_provisioner", "tenant_notifier"])
def test_a_service_refusing_its_settings_says_why_in_json(module: str) -> None:
    env = {"PATH": os.environ["PATH"], "NATS_USER": "alone"}  # no password: refused
    code, records = run(f"import runpy; runpy.run_module({module!r}, run_name='__main__')", env)
    # The documented settings contract (issue 15): a bad setting is one line naming the
    # service and the variable, and exit 2. The line is the interface, so it is checked.
    assert code == 2
    (refused,) = records
    assert refused["level"] == "CRITICAL" and refused["message"].startswith(f"{module}: ")
