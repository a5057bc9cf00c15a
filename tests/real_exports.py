"""Where the shared real-export fixtures are, and the skip marker for tests that need them.

The ``shared/`` folder sits beside the checkout in the development setup (``../shared`` from the
repository root); a copy inside the checkout (``./shared``) is used first where there is one. The
files are not part of the repository, so the tests that read them skip when the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = next(
    (p for p in (_ROOT / "shared" / "fixtures", _ROOT.parent / "shared" / "fixtures") if p.is_dir()),
    _ROOT.parent / "shared" / "fixtures",
)
REAL_EXPORTS = SHARED_FIXTURES / "real-exports"


def needs_real(folder: Path = REAL_EXPORTS) -> pytest.MarkDecorator:
    """Skip the test (or module, as ``pytestmark``) unless ``folder`` of the shared fixtures exists."""
    return pytest.mark.skipif(not folder.is_dir(), reason=f"shared real-export fixtures absent ({folder})")
