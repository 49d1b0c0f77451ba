"""Faults lose nothing (issue 15): `dlspec audit` with the deliberately faulty backends of tests/faulty/ reports a
segfault or an abort as *crashed* and an infinite loop as *hung*, each with the case it was running and a replay
command that reproduces it; a huge allocation, an exception from C code and a wrong shape or dtype as failures
with their counterexample; the rest of the run completes. A part that dies outside any item, and Ctrl-C, leave a
report marked incomplete with the reason, never a traceback of dlspec's own.

Kept fast (run it with --backends numpy, so that this process imports no framework): NumPy only, float32, one
softmax property (each fault costs one restart), a short --example-timeout.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlspec.replay import parse_case

ROOT = Path(__file__).resolve().parent.parent
FAULTY = ROOT / "tests" / "faulty"
pytestmark = pytest.mark.skipif(not FAULTY.exists(), reason="tests run from an installed package")
TIMEOUT = 4  # seconds; a NumPy softmax example takes milliseconds
KEEPS = "test_softmax_and_log_softmax_keep_shape_and_dtype"  # calls softmax, so it meets every fault
SELECT = ["-k", KEEPS, "-p", "no:cacheprovider"]
EXPECTED = {  # fault -> (outcome, what the reason or the process's output says)
    "segfault": ("crashed", "SIGSEGV"),
    "abort": ("crashed", "SIGABRT"),
    "infinite_loop": ("hung", f"no progress for {TIMEOUT} s"),
    "huge_allocation": ("fail", "MemoryError"),
    "c_exception": ("fail", "ValueError"),
    "wrong_shape": ("fail", "shape"),
    "wrong_dtype": ("fail", "dtype"),
}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(FAULTY), "CI": "true", "OMP_NUM_THREADS": "1"}


def _audit_cmd(out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "dlspec.cli", "audit", "--family", "softmax", "--dtypes", "float32",
            f"--example-timeout={TIMEOUT}", "--report", str(out), *args, "--", *SELECT]


def _rows(out: Path) -> tuple[dict, dict[str, dict]]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return report, {r["nodeid"].split("::")[1]: r for r in report["results"]}


@pytest.fixture(scope="module")
def faulty_audit(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict, dict[str, dict]]:
    out = tmp_path_factory.mktemp("faulty")
    cmd = _audit_cmd(out, "--jobs", "1", "--backends", "numpy", "--memory-limit", "4",
                     *(f"--backend-module=faulty_{f}" for f in EXPECTED))
    run = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    return (run, *_rows(out))


def test_every_fault_is_its_own_finding_and_the_rest_of_the_run_completes(faulty_audit):
    run, report, rows = faulty_audit
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert report["run"]["incomplete"] is None
    numpy = rows[f"{KEEPS}[numpy-cpu-float32]"]  # ran first, in the process that crashed later
    assert numpy["outcome"] == "pass" and numpy["examples"] >= 100
    assert len(rows) == 1 + len(EXPECTED)
    for fault, (outcome, says) in EXPECTED.items():
        row = rows[f"{KEEPS}[faulty:{fault}-cpu-float32]"]
        assert row["outcome"] == outcome, (fault, row["reason"])
        assert says in row["reason"], (fault, row["reason"])
        case = parse_case(row["counterexample"])
        assert case.x.shape[case.axis] >= 5  # the case is in the fault's region (tests/faulty/_faulty.py)


def test_a_crash_or_hang_carries_the_process_output_and_a_case_level_replay(faulty_audit):
    rows = faulty_audit[2]
    for fault in ("segfault", "abort", "infinite_loop"):
        row = rows[f"{KEEPS}[faulty:{fault}-cpu-float32]"]
        assert "Fatal Python error" in row["output"] and "faulty_" in row["output"]  # faulthandler: where it was
        assert row["replay"].startswith("python -m dlspec.cli replay ")
        assert f"--backend-module=faulty_{fault}" in row["replay"] and row["replay"].count("--backend-module") == 1


def test_the_report_colours_crashed_and_hung_cells(faulty_audit):
    from dlspec import report as rep

    _, report, _ = faulty_audit
    page = rep.html_page(report)
    assert '<td class="crashed"' in page and '<td class="hung"' in page
    assert "td.crashed,span.crashed{background:" in page
    assert "## Crashed" in rep.markdown(report) and "## Hung" in rep.markdown(report)


@pytest.mark.parametrize("fault, says", [("segfault", "CRASHED: the process died by SIGSEGV"),
                                         ("infinite_loop", "HUNG: no result after")])
def test_the_replay_command_reproduces_the_fault_in_a_child_process(faulty_audit, fault, says):
    row = faulty_audit[2][f"{KEEPS}[faulty:{fault}-cpu-float32]"]
    cmd = shlex.split(row["replay"])
    assert cmd[:3] == ["python", "-m", "dlspec.cli"]
    replay = subprocess.run([sys.executable, *cmd[1:]], cwd=ROOT, env=_env(), capture_output=True, text=True,
                            timeout=120)
    assert replay.returncode == 1 and says in replay.stdout, replay.stdout[-2000:] + replay.stderr[-2000:]
    assert "Traceback" not in replay.stderr


def test_a_part_that_dies_outside_any_item_is_named_in_an_incomplete_report(tmp_path):
    cmd = _audit_cmd(tmp_path, "--jobs", "2", "--backends", "numpy,spec", "--dtypes", "float64",  # spec: float64
                     "--backend-module=faulty_import_crash")  # its part (the first, with numpy) dies importing it
    run = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    report, rows = _rows(tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stdout[-3000:] + run.stderr[-3000:]
    why = report["run"]["incomplete"]
    assert why and "[1/2]" in why and "SIGSEGV" in why and "outside any item" in why
    assert rows[f"{KEEPS}[spec-cpu-float64]"]["outcome"] == "pass"  # the surviving part's results are kept
    assert not any("numpy-cpu" in n for n in rows)
    assert "Incomplete run" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_ctrl_c_stops_the_parts_and_leaves_a_partial_report(tmp_path):
    """SIGINT to the audit's process group, as a terminal's Ctrl-C, while a part is stuck in a kernel."""
    cmd = _audit_cmd(tmp_path, "--jobs", "1", "--backends", "numpy", "--backend-module=faulty_infinite_loop",
                     "--example-timeout=600")
    audit = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    stream = tmp_path / "parts" / "part0.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and "faulty:infinite_loop" not in (stream.read_text() if stream.exists() else ""):
        time.sleep(0.2)
    time.sleep(1.0)  # inside the loop by now: its first examples take milliseconds
    os.killpg(audit.pid, signal.SIGINT)
    stdout, stderr = audit.communicate(timeout=60)
    assert audit.returncode == 2, stdout[-3000:] + stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "interrupted by SIGINT" in stderr and f"dlspec report: {tmp_path / 'report.json'}" in stdout
    report, rows = _rows(tmp_path)
    assert report["run"]["incomplete"].startswith("interrupted by SIGINT")
    assert "stopped while running" in report["run"]["incomplete"]
    assert rows[f"{KEEPS}[numpy-cpu-float32]"]["outcome"] == "pass"
    assert "Incomplete run" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_a_case_is_read_back_from_its_repr():
    import numpy as np

    from dlspec.properties.harness import Case

    case = Case(x=np.array([[1.5, -np.inf], [np.nan, -0.0]]), labels=np.array([0, 2]), kernel=(2, 2), mode="same")
    back = parse_case(repr(case))
    assert repr(back) == repr(case) and back.labels.dtype == np.int64 and back.kernel == (2, 2)
    assert np.signbit(back.x[1, 1]) and np.isnan(back.x[1, 0])
    with pytest.raises(ValueError, match="not a Case"):
        parse_case("__import__('os').system('true')")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from Linux's /proc")
def test_an_audit_killed_outright_leaves_its_last_checkpoint_and_no_orphan(tmp_path):
    cmd = _audit_cmd(tmp_path, "--jobs", "1", "--backends", "numpy", "--backend-module=faulty_infinite_loop",
                     "--example-timeout=600")
    audit = subprocess.Popen(cmd, cwd=ROOT, env={**_env(), "DLSPEC_AUDIT_CHECKPOINT_S": "0.5"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    report = tmp_path / "report.json"
    deadline = time.time() + 300
    while time.time() < deadline and "numpy-cpu-float32" not in (report.read_text() if report.exists() else ""):
        time.sleep(0.2)
    children = [int(c) for c in Path(f"/proc/{audit.pid}/task/{audit.pid}/children").read_text().split()]
    audit.kill()  # SIGKILL: no handler of dlspec's runs
    audit.wait(timeout=60)
    checkpoint, rows = _rows(tmp_path)
    assert "checkpoint" in checkpoint["run"]["incomplete"]
    assert rows[f"{KEEPS}[numpy-cpu-float32]"]["outcome"] == "pass"
    assert children  # the part, stuck in faulty_infinite_loop's softmax, dies with its parent (PR_SET_PDEATHSIG)
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_merge_keeps_each_runs_incompleteness():
    from dlspec import report as rep

    runs = [{**rep.run_info(profile="ci", max_examples=100, seed=None, label=label), "incomplete": why}
            for label, why in (("cpu-job", None), ("gpu-job", "interrupted by SIGTERM after 3600 s"))]
    merged = rep.merge([rep.build(run, {}, []) for run in runs])
    assert merged["run"]["incomplete"] == "gpu-job: interrupted by SIGTERM after 3600 s"
    assert "**Incomplete run**: gpu-job: interrupted by SIGTERM" in rep.markdown(merged)
    assert rep.merge([rep.build(runs[0], {}, [])])["run"]["incomplete"] is None


def test_a_failure_of_the_supervisor_itself_is_one_line_and_a_report(tmp_path, capsys):
    from dlspec import audit
    from dlspec import report as rep

    (tmp_path / "parts").mkdir()
    part = audit.Part(0, 1, "numpy", [str(tmp_path / "no-such-python")], tmp_path / "parts", [], {})
    run = rep.run_info(profile="ci", max_examples=100, seed=None, label=None)
    assert audit.supervise([part], timeout=TIMEOUT, report_dir=tmp_path, run=run) == 3
    report, _ = _rows(tmp_path)
    assert report["run"]["incomplete"].startswith("dlspec audit failed (FileNotFoundError")
    assert "Traceback" not in capsys.readouterr().err
    assert "Traceback" in (tmp_path / "parts" / "supervisor-error.txt").read_text()


def test_a_crash_documented_in_the_catalogue_is_that_entrys_deviation(tmp_path):
    """An entry with `raises = "SIGSEGV"` documents a crash: on its catalogued example it is the deviation."""
    cmd = _audit_cmd(tmp_path, "--jobs", "1", "--backends", "numpy", "--backend-module=faulty_segfault",
                     f"--deviations={FAULTY / 'crashes.toml'}")
    run = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    report, rows = _rows(tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    row = rows[f"{KEEPS}[faulty:segfault-cpu-float32]"]
    assert row["outcome"] == "deviation" and "SIGSEGV" in row["reason"], row["reason"]
    assert row["deviation"]["id"] == "faulty-segfault-softmax-rows-of-five"
    assert row["counterexample"] == "Case(x=[[0.0, 1.0, 2.0, 3.0, 4.0]], axis=-1)"
    assert report["run"]["incomplete"] is None and rows[f"{KEEPS}[numpy-cpu-float32]"]["outcome"] == "pass"
