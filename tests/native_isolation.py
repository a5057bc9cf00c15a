"""A pytest plugin: tests marked ``native`` (they load llama.cpp) run in a child pytest process.

A native library that dies (SIGILL from an instruction the CPU refuses, a segfault) takes its
whole process down, and Python cannot catch a signal. So the parent never runs these tests
itself: the first one of a module starts ``python -m pytest`` on all the module's ``native``
tests, the child writes one JSON line per test event to a file, and the parent reports what the
child saw. A test the child was running when it died fails with the signal named and the end of
the child's stderr; tests it never reached fail saying so. Nothing else of the suite is touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from _pytest.reports import TestReport

MARK = "native"
REPORTS_ENV = "SHIZU_TEST_CHILD_REPORTS"  # set in the child: where it writes its events
CHILD_TIMEOUT_S = 1800
_results: dict[str, dict[str, Any]] = {}  # per module: what the child reported


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}: loads a native library (llama.cpp); runs in a child process")


def _child_write(event: dict[str, Any]) -> None:
    with open(os.environ[REPORTS_ENV], "a", encoding="utf-8") as out:
        out.write(json.dumps(event) + "\n")


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if os.environ.get(REPORTS_ENV):
        _child_write({"event": "start", "nodeid": nodeid})


def pytest_runtest_logreport(report: TestReport) -> None:
    if os.environ.get(REPORTS_ENV):
        longrepr = report.longrepr
        if isinstance(longrepr, tuple):
            longrepr = list(longrepr)
        elif longrepr is not None:
            longrepr = str(longrepr)
        _child_write({
            "event": "report", "nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
            "longrepr": longrepr, "duration": report.duration, "wasxfail": getattr(report, "wasxfail", None),
        })


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if os.environ.get(REPORTS_ENV) or item.get_closest_marker(MARK) is None:
        return None
    module = str(item.path)
    if module not in _results:
        siblings = [i.nodeid for i in item.session.items if str(i.path) == module and i.get_closest_marker(MARK)]
        _results[module] = _run_child(item.config, siblings)
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for event in _reports_for(item, _results[module]):
        longrepr = event["longrepr"]
        report = TestReport(
            item.nodeid, item.location, {k: 1 for k in item.keywords}, event["outcome"],
            tuple(longrepr) if isinstance(longrepr, list) else longrepr, event["when"], duration=event["duration"],
        )
        if event.get("wasxfail") is not None:
            report.wasxfail = event["wasxfail"]
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _run_child(config: pytest.Config, nodeids: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        events_file = Path(tmp) / "events.jsonl"
        events_file.touch()
        env = {**os.environ, REPORTS_ENV: str(events_file)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *nodeids]
        try:
            done = subprocess.run(command, cwd=config.rootpath, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
            returncode, stderr = done.returncode, done.stdout[-3000:] + done.stderr[-3000:]
        except subprocess.TimeoutExpired as exc:
            returncode, stderr = None, f"timed out after {CHILD_TIMEOUT_S} s: {exc}"
        events = [json.loads(line) for line in events_file.read_text(encoding="utf-8").splitlines() if line]
    return {"returncode": returncode, "stderr": stderr, "events": events}


def _reports_for(item: pytest.Item, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The child's reports for ``item``, or a failure that says why there are none."""
    events = result["events"]
    mine = [e for e in events if e["event"] == "report" and e["nodeid"] == item.nodeid]
    if any(e["when"] == "teardown" for e in mine):
        return mine
    started = [e["nodeid"] for e in events if e["event"] == "start"]
    death = _death(result["returncode"])
    if item.nodeid in started:
        message = f"the test process {death} while running this test. Its output ends:\n{result['stderr']}"
    else:
        last = started[-1] if started else "nothing"
        message = f"not run: the test process {death} earlier, while running {last}"
    failed = {"event": "report", "when": "call", "outcome": "failed", "longrepr": message, "duration": 0.0}
    return [e for e in mine if e["when"] == "setup" and e["outcome"] == "passed"] + [failed]


def _death(returncode: int | None) -> str:
    if returncode is None:
        return "timed out"
    if returncode < 0:
        number = -returncode
        return f"died by signal {number} ({signal.Signals(number).name}: {signal.strsignal(number)})"
    return f"exited with status {returncode}"
