"""The ``native`` isolation plugin: a test that kills its process fails alone, with the signal named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SUITE = '''
import os, signal
import pytest

pytestmark = pytest.mark.native


def test_before():
    assert True


def test_crashes():
    os.kill(os.getpid(), signal.SIGILL)


def test_after_the_crash():
    assert True
'''


def test_a_native_crash_fails_that_test_and_the_suite_goes_on(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["native_isolation"]\n', encoding="utf-8")
    (tmp_path / "test_native.py").write_text(SUITE, encoding="utf-8")
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    env.pop("SHIZU_TEST_CHILD_REPORTS", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "2 failed, 2 passed" in out, out
    assert "PASSED test_native.py::test_before" in out and "PASSED test_plain.py::test_plain" in out
    assert "the test process died by signal 4 (SIGILL: Illegal instruction) while running this test" in out
    assert "not run: the test process died by signal 4 (SIGILL: Illegal instruction) earlier, while running test_native.py::test_crashes" in out
