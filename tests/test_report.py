"""The conformance report: its JSON schema, the Markdown summary, the merge of several runs, and the HTML page
rendered in a real headless browser (Debian's chromium; CI installs it) with a screenshot kept as an artefact."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlspec import report as rep

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _result(prop: str, impl: str, outcome: str, **extra) -> dict:
    return {"property": prop, "family": "softmax", "doc": "", "implementation": impl, "outcome": outcome,
            "examples": 10, "max_error_eps": 1.5, "budget_used": 0.1, "errors_eps": {"softmax": 1.5},
            "reason": extra.pop("reason", None), "counterexample": None, "reproduce": None, "replay": None,
            "deviation": None, "nodeid": f"t::{prop}[{impl}]", **extra}


def _report(label: str) -> dict:
    impls = {i: {"id": i, "backend": i.split("-")[0], "framework": "numpy", "version": "1", "device": "cpu",
                 "dtype": i.split("-")[-1], "machine": label, "label": label}
             for i in ("numpy-cpu-float32", "numpy-cpu-float16")}
    run = rep.run_info(profile="ci", max_examples=100, seed=None, label=label)
    results = [_result("softmax_matches_spec", "numpy-cpu-float32", "pass"),
               _result("softmax_matches_spec", "numpy-cpu-float16", "fail", reason="AssertionError: out[0]=1",
                       counterexample="Case(x=[[1.0]], axis=-1)", replay="python -m pytest t")]
    report = rep.build(run, impls, results)
    report["mutants"] = [{"mutant": "softmax-on-the-first-axis", "family": "softmax", "description": "d",
                          "killed_by": "softmax_matches_spec", "dtype": "float64", "examples": 6, "message": "m"}]
    return report


def test_markdown_summarises_counts_and_lists_failures_with_their_replay():
    md = rep.markdown(_report("cpu-job"))
    assert "| 1 | 0 | 1 | 0 |" in md
    assert "**softmax_matches_spec** on `numpy-cpu-float16`: AssertionError: out[0]=1" in md
    assert "replay: `python -m pytest t`" in md
    assert "1 of 1 planted bugs killed" in md and "| `softmax-on-the-first-axis` | softmax |" in md
    assert '<table id="mutants">' in rep.html_page(_report("cpu-job"))


def test_merging_two_machines_labels_each_column_with_its_machine(tmp_path):
    for label in ("cpu-job", "gpu-job"):
        rep.write(_report(label), tmp_path / label)
    code = rep.main(["merge", str(tmp_path / "cpu-job" / "report.json"), str(tmp_path / "gpu-job" / "report.json"),
                     "-o", str(tmp_path / "merged")])
    merged = json.loads((tmp_path / "merged" / "report.json").read_text())
    assert code == 0 and merged["schema"] == rep.SCHEMA
    assert {i["id"] for i in merged["implementations"]} == {
        f"numpy-cpu-{d}@{m}" for d in ("float32", "float16") for m in ("cpu-job", "gpu-job")}
    assert len(merged["results"]) == 4


def test_merge_rejects_a_file_of_another_schema(tmp_path, capsys):
    (tmp_path / "x.json").write_text('{"schema": "other/9"}')
    assert rep.main(["merge", str(tmp_path / "x.json"), "-o", str(tmp_path / "out")]) == 2
    assert "is not 'dlspec-report/1'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> Path:
    """A real run with --report: the NumPy backend passes, a mutant fails, a cuda column is skipped."""
    out = tmp_path_factory.mktemp("report")
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_softmax.py"), "-q", "-p", "no:cacheprovider",
           "--backends", "numpy,mutant:softmax-on-the-first-axis", "--dtypes", "float32",
           "--hypothesis-profile=dev", "--report", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    assert run.returncode == 1, run.stdout[-2000:]  # the mutant's failures
    assert f"dlspec report: {out / 'report.html'}" in run.stdout
    return out


def test_a_run_writes_the_report_with_outcomes_counterexamples_and_replays(audited):
    data = rep.load(audited / "report.json")
    by = {(r["property"], r["implementation"]): r for r in data["results"]}
    ok = by[("softmax_matches_spec", "numpy-cpu-float32")]
    bad = by[("softmax_matches_spec", "mutant:softmax-on-the-first-axis-cpu-float32")]
    assert ok["outcome"] == "pass" and ok["examples"] > 0 and ok["max_error_eps"] is not None
    assert bad["outcome"] == "fail" and bad["counterexample"].startswith("Case(x=")
    assert "--backends=mutant:softmax-on-the-first-axis" in bad["replay"]
    assert bad["reproduce"].startswith("@reproduce_failure(")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs Debian's chromium)")
def test_the_html_report_renders_in_a_headless_browser(audited, tmp_path):
    page = (audited / "report.html").as_uri()
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    assert 'id="matrix"' in dom
    assert ('class="pass" data-property="softmax_matches_spec" data-implementation="numpy-cpu-float32"' in dom)
    assert ('class="fail" id="cd0" data-property="softmax_matches_spec" '
            'data-implementation="mutant:softmax-on-the-first-axis-cpu-float32"') in dom
    artefacts = ROOT / "reports"
    artefacts.mkdir(exist_ok=True)
    shot = artefacts / "report-screenshot.png"
    shot.unlink(missing_ok=True)
    subprocess.run([CHROMIUM, *flags, "--window-size=1400,1000", f"--screenshot={shot}", page],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
