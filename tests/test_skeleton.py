"""A backend written from `dlspec new-backend`'s skeleton, in a temporary directory, is audited out of tree:
the filled-in operation passes, the stubs are skipped as not implemented yet; and a backend registered through
the `dlspec.backends` entry-point group is found by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlspec.impls import BackendError, load_module
from dlspec.skeleton import main as new_backend
from dlspec.spec import OPS

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not (ROOT / "tests" / "test_softmax.py").exists(),
                                reason="tests run from an installed package")

SOFTMAX = '''    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
'''


def _fill(source: str, op: str, body: str) -> str:
    head, rest = source.split(f"\ndef {op}(", 1)
    stub, tail = rest.split("    raise NotImplementedError\n", 1)
    return f"{head}\ndef {op}({stub}{body}{tail}"


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "CI": "true"}
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_softmax.py"), "-rs", "-p",
           "no:cacheprovider", "--hypothesis-profile=dev", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_skeleton_stubs_every_operation_with_the_spec_signature(tmp_path, capsys):
    assert new_backend([str(tmp_path / "my_backend.py")]) == 0
    assert "dlspec audit --backend-module my_backend" in capsys.readouterr().out
    sys.path.insert(0, str(tmp_path))
    try:
        backend = load_module("my_backend")  # every stub passes the loader's signature check
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_backend", None)
    assert set(backend.ops) == set(OPS) and backend.name == "mine:my_backend"
    assert new_backend([str(tmp_path / "my_backend.py")]) == 2  # never overwrites without --force


def test_a_backend_filled_in_from_the_skeleton_is_audited_out_of_tree(tmp_path):
    new_backend([str(tmp_path / "my_backend.py"), "--name", "mine:skeleton"])
    path = tmp_path / "my_backend.py"
    path.write_text(_fill(path.read_text(), "softmax", SOFTMAX))
    run = _pytest(tmp_path, "--backend-module", "my_backend", "--dtypes", "float32,float64", "-q")
    out = run.stdout
    assert run.returncode == 0, out[-3000:]
    assert "test_softmax_matches_spec[mine:skeleton-cpu-float32] PASSED" in _pytest(
        tmp_path, "--backend-module", "my_backend", "--dtypes", "float32", "-v", "-k", "test_softmax_matches").stdout
    assert "mine:skeleton.log_softmax is not implemented yet (NotImplementedError)" in out


def test_an_entry_point_backend_is_found_by_name(tmp_path):
    new_backend([str(tmp_path / "their_backend.py"), "--name", "theirs:np"])
    path = tmp_path / "their_backend.py"
    path.write_text(_fill(path.read_text(), "softmax", SOFTMAX))
    dist = tmp_path / "their_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: their-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[dlspec.backends]\ntheirs = their_backend\n")
    run = _pytest(tmp_path, "--backends", "theirs", "--dtypes", "float64", "-v", "-k", "test_softmax_matches")
    assert "test_softmax_matches_spec[theirs:np-cpu-float64] PASSED" in run.stdout, run.stdout[-3000:]


def test_a_module_that_is_not_a_backend_is_a_clear_error(tmp_path):
    (tmp_path / "not_a_backend.py").write_text("x = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(BackendError, match="not_a_backend is not a dlspec backend: it lacks NAME, VERSION"):
            load_module("not_a_backend")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("not_a_backend", None)
