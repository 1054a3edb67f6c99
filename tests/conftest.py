"""Settings for the whole test session."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Servers started by tests announce themselves (control.discovery) in a directory of
    this session's own, not the user's: a CLI under test never finds a server of the
    user's, nor a test's leftover in the user's runtime directory."""
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="db9-test-run-")
