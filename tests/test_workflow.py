"""The GitHub Actions workflow shipped for users (.github/workflows/audit.yml) is valid and calls dlspec as it is.

Validated with check-jsonschema against its vendored GitHub-workflow schema (a maintained validator, offline), and
every option its `dlspec audit` lines pass is one that `dlspec audit` or the pytest plugin accepts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlspec.plugin.options import OPTIONS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "audit.yml"
pytestmark = pytest.mark.skipif(not WORKFLOW.exists(), reason="tests run from an installed package")


def test_the_workflow_is_valid_for_github_actions():
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")
    if exe is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    run = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_workflow_passes_only_options_dlspec_knows():
    text = WORKFLOW.read_text(encoding="utf-8")
    commands = re.findall(r"dlspec audit(.*?)(?:\n\s*\n|\n\s*- |\Z)", text, flags=re.S)
    assert commands, "the workflow runs no `dlspec audit`"
    known = subprocess.run([sys.executable, "-m", "dlspec.cli", "audit", "--help"], capture_output=True,
                           text=True, timeout=120).stdout
    plugin = {o.flag for o in OPTIONS}  # the pytest plugin's options, which `dlspec audit` passes on
    for command in commands:
        for option in re.findall(r"(--[a-z-]+)", command):
            assert option in known or option in plugin, f"`dlspec audit {option}` is not an option"
    assert "dlspec report merge" in text
