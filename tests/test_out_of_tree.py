"""An out-of-tree backend is audited through --backend-module: the example in impls/README.md passes, a broken
copy of it fails with a counterexample and a replay command, and a malformed one is a one-line usage error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "impls" / "README.md"
pytestmark = pytest.mark.skipif(not README.exists(), reason="tests run from an installed package")


def _example_backend() -> str:
    [code] = re.findall(r"```python\n(.+?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return code


def _audit(tmp_path: Path, source: str, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "my_backend.py").write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "CI": "true"}
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_softmax.py"), "--backend-module",
           "my_backend", "-q", "-p", "no:cacheprovider", "--hypothesis-profile=dev", *extra]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_readme_example_backend_passes_its_audit(tmp_path):
    run = _audit(tmp_path, _example_backend())
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"\d+ passed", run.stdout)
    assert "mine:numpy does not provide 'softmax_vjp'" in run.stdout + run.stderr or "skipped" in run.stdout


def test_a_broken_out_of_tree_op_fails_with_a_replay_command(tmp_path):
    broken = _example_backend().replace("e / e.sum(axis=axis, keepdims=True)", "e / e.sum(axis=0, keepdims=True)")
    run = _audit(tmp_path, broken, "-k", "test_softmax_matches_spec")
    assert run.returncode == 1, run.stdout[-3000:]
    assert "Draw 1 (case): Case(x=" in run.stdout  # the minimal counterexample, pasteable
    assert "@reproduce_failure(" in run.stdout
    assert "--backend-module=my_backend" in run.stdout  # the replay command names the backend module


def test_an_op_with_the_wrong_signature_is_a_one_line_usage_error(tmp_path):
    bad = _example_backend().replace("def softmax(x, *, axis=-1, device):", "def softmax(x, axis=-1):")
    run = _audit(tmp_path, bad)
    assert run.returncode == 4, run.stdout[-3000:]
    assert "softmax(x, axis) does not match the spec's signature softmax(x, *, axis, device)" in run.stderr
    assert "Traceback" not in run.stderr
