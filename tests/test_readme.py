"""The README's two commands are the ones CI runs: a new user and CI do the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not (ROOT / "README.md").exists(), reason="tests run from an installed package")


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_the_readme_starts_with_a_setup_command_and_a_test_command():
    setup, test = _readme_commands()[:2]
    assert "pip install" in setup and "dlspec audit" in setup
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _readme_commands()[1]
    after_marker = ci.split("# --- the README's test command ---\n", 1)[1].strip().splitlines()[0]
    assert after_marker == test_command
