"""Deviations as regions (dlspec/deviations): an item a catalogue entry covers replays the entry's example strictly,
then checks its full budget — the spec outside the region, the documented behaviour inside — so a fixed framework,
a changed deviation and a deviation outside its region each turn the item red.

The backend under audit is a softmax that returns the uniform distribution for any input with an entry of magnitude
≥ 1000 (a documented behaviour, as a catalogue would state it), switched by DEVIATES to: "documented" (exactly that),
"fixed" (no deviation), "changed" (zeros instead of uniform inside the region), "leaks" (uniform from 100 on, past the
documented region).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not (ROOT / "tests" / "test_softmax.py").exists(),
                                reason="tests run from an installed package")

BACKEND = '''
import os
import numpy as np

NAME = "verdict:numpy"
VERSION = "0.1"
DEVICES = ("cpu",)
DTYPES = ("float32",)
MODE = os.environ["DEVIATES"]


def softmax(x, *, axis=-1, device):
    limit = {"documented": 1000.0, "changed": 1000.0, "leaks": 100.0}.get(MODE, np.inf)
    if np.abs(x).max(initial=0.0) >= limit:
        fill = 0.0 if MODE == "changed" else 1.0 / x.shape[axis]
        return np.full_like(x, fill)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def large_entry(case, dtype):
    """Any entry of magnitude at least 1000."""
    return bool(np.abs(case.x).max(initial=0.0) >= 1000.0)


def uniform(prop, impl, case):
    got = impl("softmax", case.x, axis=case.axis)
    want = 1.0 / case.x.shape[case.axis]
    assert np.allclose(got, want), f"expected the uniform {want}, got {got.ravel()[:4]}"
'''

ENTRY = '''
[[deviation]]
id = "verdict-uniform-for-large-logits"
backend = "verdict:*"
property = ["softmax_matches_spec"]
observed = "0.1"
api = "verdict.softmax"
spec = "softmax(z)"
behaviour = "the uniform distribution wherever some |z| >= 1000"
reason = "gives up on large logits"
region = "verdict_backend:large_entry"
{behaves}
[[deviation.examples]]
property = "softmax_matches_spec"
case = {{ x = [[1000.0, 0.0]], axis = -1 }}
'''


def _audit(tmp_path: Path, mode: str, *, behaves: bool = True) -> tuple[subprocess.CompletedProcess, dict | None]:
    (tmp_path / "verdict_backend.py").write_text(BACKEND, encoding="utf-8")
    catalogue = tmp_path / "verdict.toml"
    catalogue.write_text(ENTRY.format(behaves='behaves = "verdict_backend:uniform"' if behaves else ""),
                         encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DEVIATES": mode}
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_softmax.py"), "-k", "test_softmax_matches_spec",
           "--backend-module", "verdict_backend", "--deviations", str(catalogue), "--hypothesis-profile=ci", "-q",
           "-p", "no:cacheprovider", "--report", str(tmp_path / "report")]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    report = tmp_path / "report" / "report.json"
    rows = json.loads(report.read_text())["results"] if report.exists() else []
    return run, next((r for r in rows if r["implementation"] == "verdict:numpy-cpu-float32"), None)


def test_a_documented_behaviour_passes_and_every_case_is_checked(tmp_path):
    run, row = _audit(tmp_path, "documented")
    assert run.returncode == 0, run.stdout[-3000:]
    assert row["outcome"] == "deviation"
    checked = row["checked"]
    assert checked["behaviour"]["verdict-uniform-for-large-logits"] > 0  # the region is reached and checked
    assert checked["spec"] > 0
    assert checked["spec"] + checked["behaviour"]["verdict-uniform-for-large-logits"] >= 100  # the full budget
    assert "Any entry of magnitude at least 1000" in row["deviation"]["region_text"]


def test_a_region_without_a_behaviour_is_counted_and_the_budget_still_checked_against_the_spec(tmp_path):
    run, row = _audit(tmp_path, "documented", behaves=False)
    assert run.returncode == 0, run.stdout[-3000:]
    assert row["checked"]["region"]["verdict-uniform-for-large-logits"] > 0
    assert row["checked"]["spec"] >= 100


def test_a_fixed_framework_turns_the_item_red(tmp_path):
    run, _ = _audit(tmp_path, "fixed")
    assert run.returncode == 1
    assert "no longer reproduces" in run.stdout


def test_a_changed_behaviour_inside_the_region_turns_the_item_red(tmp_path):
    run, row = _audit(tmp_path, "changed")
    assert run.returncode == 1
    assert "expected the uniform" in run.stdout
    assert row["outcome"] == "fail" and row["counterexample"].startswith("Case(x=")


def test_a_deviation_outside_its_region_turns_the_item_red(tmp_path):
    run, row = _audit(tmp_path, "leaks")
    assert run.returncode == 1
    assert row["outcome"] == "fail"
    case = row["counterexample"]
    assert case.startswith("Case(x=")
    assert "but should be" in run.stdout  # the spec's own assertion, outside the region
