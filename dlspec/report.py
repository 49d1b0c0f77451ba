"""The conformance report: one run's results as report.json (machine-readable), report.md (a CI job summary) and
report.html (one self-contained page: the matrix of property × implementation), and the merge of several runs.

    python -m pytest --report reports/          (or: dlspec audit --report reports/)
    dlspec report merge cpu/report.json gpu/report.json -o merged/

Schema (SCHEMA = "dlspec-report/1"); a change of meaning bumps the number:
  {"schema": "dlspec-report/1",
   "run": {"created": ISO-8601 UTC, "machine": hostname, "platform": str, "python": str,
           "hypothesis_profile": str, "max_examples": int, "seed": str | null, "label": str},
   "implementations": [{"id": "torch:functional-cpu-float32" (+ "@label" after a merge), "backend": str,
           "framework": str, "version": str, "device": str, "dtype": str, "machine": str, "label": str}],
   "results": [{"property": str, "family": str, "doc": str, "implementation": id,
           "outcome": "pass" | "deviation" | "fail" | "skip",
           "examples": int | null, "max_error_eps": float | null (max over the property's ops, in units of the
           dtype's ε relative to each op's natural scale), "budget_used": float | null (the largest fraction of an
           error budget used; > 1 fails), "errors_eps": {op: float},
           "reason": str | null (skip reason, deviation reason, or the failure's first line),
           "counterexample": str | null (the minimal Case), "reproduce": str | null (@reproduce_failure line),
           "replay": str | null (the command that replays it), "deviation": {catalogue entry} | null (the first
           of "deviations": every entry covering the item whose examples reproduced, each with its "region_text"),
           "checked": {"spec": int, "behaviour": {entry id: int}, "region": {entry id: int}} | null (cases checked
           against the spec, against an entry's documented behaviour, and counted unchecked inside its region),
           "nodeid": str, "seconds": float | null (the test call's wall time, Hypothesis' search included)}],
   "mutants": [{"mutant": str, "family": str, "description": str, "killed_by": str | null (the property, or
           null if it survived), "dtype": str | null, "examples": int | null, "message": str | null}]
           (the kill table of the mutant gallery, when tests/test_mutants.py ran; absent or empty otherwise)}
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import socket
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA = "dlspec-report/1"
OUTCOMES = ("pass", "deviation", "fail", "skip")
COLOURS = {"pass": "#cdeccd", "deviation": "#ffe3a3", "fail": "#f6b3b3", "skip": "#e6e6e6"}


def run_info(*, profile: str, max_examples: int, seed: object, label: str | None) -> dict[str, Any]:
    machine = socket.gethostname()
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "hypothesis_profile": profile,
        "max_examples": max_examples,
        "seed": None if seed is None else str(seed),
        "label": label or machine,
    }


def build(run: dict[str, Any], implementations: dict[str, dict[str, Any]], results: list[dict[str, Any]]
          ) -> dict[str, Any]:
    return {"schema": SCHEMA, "run": run, "implementations": list(implementations.values()), "results": results}


def load(path: Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {data.get('schema')!r} is not {SCHEMA!r}")
    return data


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One matrix from several runs: each implementation id gets '@<label>' (machine or --report-label) appended,
    so the same backend on a CPU job and a GPU job, or under two framework versions, are two columns."""
    impls: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    labels = [r["run"]["label"] for r in reports]
    if len(set(labels)) != len(labels):  # two runs on one machine: tell them apart by their position
        labels = [f"{label}#{i + 1}" for i, label in enumerate(labels)]
    for report, label in zip(reports, labels):
        for impl in report["implementations"]:
            new = {**impl, "id": f"{impl['id']}@{label}", "label": label}
            impls[new["id"]] = new
        for r in report["results"]:
            results.append({**r, "implementation": f"{r['implementation']}@{label}"})
    run = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "merged_from": [r["run"] for r in
           reports], "machine": ",".join(sorted({r["run"]["machine"] for r in reports})), "label": "merged",
           "hypothesis_profile": ",".join(sorted({r["run"]["hypothesis_profile"] for r in reports})),
           "max_examples": max(r["run"]["max_examples"] for r in reports), "seed": None,
           "platform": "several", "python": ",".join(sorted({r["run"]["python"] for r in reports}))}
    merged = build(run, impls, results)
    merged["mutants"] = next((r["mutants"] for r in reports if r.get("mutants")), [])
    return merged


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from runs of one machine over disjoint implementations (`dlspec audit --jobs N`): columns keep
    their ids, the run is the first part's."""
    if not parts:
        raise ValueError("no report to combine")
    impls = {i["id"]: i for p in parts for i in p["implementations"]}
    combined = build(parts[0]["run"], impls, [r for p in parts for r in p["results"]])
    combined["mutants"] = next((p["mutants"] for p in parts if p.get("mutants")), [])
    return combined


# --- rendering ---------------------------------------------------------------------------------------------------

def _cell_text(r: dict[str, Any]) -> str:
    if r["outcome"] == "skip":
        return "skip"
    err = r.get("max_error_eps")
    err_s = f"{err:.3g} ε" if isinstance(err, (int, float)) else ""
    return f"{r['outcome']} {err_s}".strip()


def checked_text(r: dict[str, Any]) -> str:
    """Where an item's cases were checked: 'spec 100, behaviour 12 (id), in region 30 (id)'."""
    c = r.get("checked") or {}
    parts = [f"spec {c.get('spec', 0)}"] if c else []
    for kind, label in (("behaviour", "against the documented behaviour"), ("region", "unchecked in region")):
        parts += [f"{label} {n} ({i})" for i, n in (c.get(kind) or {}).items()]
    return ", ".join(parts)


def _counts(results: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for r in results:
        counts[r["outcome"]] += 1
    return counts


def markdown(report: dict[str, Any]) -> str:
    run, results = report["run"], report["results"]
    counts = _counts(results)
    lines = [f"# dlspec conformance report ({report['schema']})", "",
             f"Run {run['created']} on `{run['machine']}`, Hypothesis profile `{run['hypothesis_profile']}` "
             f"({run['max_examples']} examples a property).", "",
             "| " + " | ".join(OUTCOMES) + " |", "|" + "---|" * len(OUTCOMES),
             "| " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |", "",
             "## Implementations", "", "| implementation | version | pass | deviation | fail | skip | max error (ε) |",
             "|---|---|---|---|---|---|---|"]
    by_impl: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_impl[r["implementation"]].append(r)
    for impl in report["implementations"]:
        rs = by_impl.get(impl["id"], [])
        c = _counts(rs)
        errs = [r["max_error_eps"] for r in rs if isinstance(r.get("max_error_eps"), (int, float))
                and r["outcome"] == "pass"]
        worst = f"{max(errs):.3g}" if errs else "–"
        lines.append(f"| `{impl['id']}` | {impl['version']} | {c['pass']} | {c['deviation']} | {c['fail']} | "
                     f"{c['skip']} | {worst} |")
    for title, outcome in (("Failures", "fail"), ("Documented deviations", "deviation")):
        rows = [r for r in results if r["outcome"] == outcome]
        if not rows:
            continue
        lines += ["", f"## {title}", ""]
        for r in rows:
            lines.append(f"- **{r['property']}** on `{r['implementation']}`: {r.get('reason') or ''}")
            if r.get("checked"):
                lines.append(f"  - cases checked: {checked_text(r)}")
            if r.get("counterexample"):
                lines.append(f"  - counterexample: `{r['counterexample']}`")
            if r.get("replay"):
                lines.append(f"  - replay: `{r['replay']}`")
    if report.get("mutants"):
        lines += ["", "## Mutant gallery", "", _kill_table_md(report["mutants"])]
    return "\n".join(lines) + "\n"


def _kill_table_md(kills: list[dict[str, Any]]) -> str:
    killed = sum(1 for k in kills if k["killed_by"])
    lines = [f"{killed} of {len(kills)} planted bugs killed.", "",
             "| mutant | family | killed by | dtype | examples |", "|---|---|---|---|---|"]
    for k in kills:
        by = f"`{k['killed_by']}`" if k["killed_by"] else "**SURVIVED**"
        lines.append(f"| `{k['mutant']}` | {k['family']} | {by} | {k['dtype'] or '–'} | {k['examples'] or '–'} |")
    return "\n".join(lines)


def _kill_table_html(kills: list[dict[str, Any]]) -> str:
    if not kills:
        return ""
    killed = sum(1 for k in kills if k["killed_by"])
    rows = "".join(
        f'<tr class="{"pass" if k["killed_by"] else "fail"}"><td>{_esc(k["mutant"])}</td><td>{_esc(k["family"])}</td>'
        f'<td title="{_esc(k["description"])}">{_esc(k["killed_by"] or "SURVIVED")}</td><td>{_esc(k["dtype"] or "")}'
        f'</td><td>{_esc(k["examples"] or "")}</td></tr>' for k in kills)
    return (f'<h2>Mutant gallery</h2><p>{killed} of {len(kills)} planted bugs killed (hover a property for the bug).'
            f'</p><table id="mutants"><thead><tr><th>mutant</th><th>family</th><th>killed by</th><th>dtype</th>'
            f"<th>examples</th></tr></thead><tbody>{rows}</tbody></table>")


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def html_page(report: dict[str, Any]) -> str:
    """One self-contained page (no scripts, no network): the matrix and, below it, each fail and deviation."""
    run, results = report["run"], report["results"]
    impls = report["implementations"]
    props: dict[str, dict[str, Any]] = {}
    for r in results:
        props.setdefault(r["property"], {"family": r["family"], "doc": r.get("doc", "")})
    cell: dict[tuple[str, str], dict[str, Any]] = {(r["property"], r["implementation"]): r for r in results}
    counts = _counts(results)
    details: list[str] = []
    head = "".join(f'<th class="impl" title="{_esc(i["version"])}"><div>{_esc(i["id"])}</div></th>' for i in impls)
    rows = []
    for family in sorted({p["family"] for p in props.values()}):
        rows.append(f'<tr class="family"><th colspan="{len(impls) + 1}">{_esc(family)}</th></tr>')
        for name, p in props.items():
            if p["family"] != family:
                continue
            tds = []
            for impl in impls:
                r = cell.get((name, impl["id"]))
                if r is None:
                    tds.append('<td class="none"></td>')
                    continue
                tip = r.get("reason") or ""
                if r.get("examples") is not None:
                    tip = f"{r['examples']} examples ({checked_text(r)}). {tip}"
                anchor = ""
                if r["outcome"] in ("fail", "deviation"):
                    ref = f"d{len(details)}"
                    anchor = f' id="c{ref}"'
                    details.append(_detail(ref, r))
                    text = f'<a href="#{ref}">{_esc(_cell_text(r))}</a>'
                else:
                    text = _esc(_cell_text(r))
                tds.append(f'<td class="{r["outcome"]}"{anchor} data-property="{_esc(name)}" '
                           f'data-implementation="{_esc(impl["id"])}" title="{_esc(tip)}">{text}</td>')
            rows.append(f'<tr><th class="prop" title="{_esc(p["doc"])}">{_esc(name)}</th>{"".join(tds)}</tr>')
    legend = " ".join(f'<span class="{o}">{o}: {counts[o]}</span>' for o in OUTCOMES)
    style = "".join(f"td.{o},span.{o}{{background:{c}}}" for o, c in COLOURS.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dlspec conformance report</title>
<style>
body{{font:13px/1.4 system-ui,sans-serif;margin:1em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:2px 4px;white-space:nowrap}} th.prop{{text-align:left;font-weight:normal}}
th.impl{{height:12em;vertical-align:bottom}} th.impl div{{writing-mode:vertical-rl;transform:rotate(180deg)}}
tr.family th{{text-align:left;background:#333;color:#fff}} td.none{{background:#fff}}
tr.pass td{{background:#cdeccd}} tr.fail td{{background:#f6b3b3}}
span{{padding:2px 6px;margin-right:4px}} pre{{background:#f4f4f4;padding:6px;white-space:pre-wrap}}
{style}
</style></head><body>
<h1>dlspec conformance report</h1>
<p>Run {_esc(run['created'])} on <code>{_esc(run['machine'])}</code>; Hypothesis profile
<code>{_esc(run['hypothesis_profile'])}</code> ({_esc(run['max_examples'])} examples a property); schema
<code>{_esc(report['schema'])}</code>.</p>
<p id="legend">{legend}</p>
<p>Each cell: the outcome and the largest error observed, in units of the dtype's machine epsilon relative to each
operation's natural scale. Hover for the examples run and the reason; follow a fail or deviation to its
counterexample and the command that replays it.</p>
<table id="matrix"><thead><tr><th>property</th>{head}</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<h2>Failures and documented deviations</h2>
{"".join(details) or "<p>None.</p>"}
{_kill_table_html(report.get("mutants", []))}
</body></html>
"""


def _detail(ref: str, r: dict[str, Any]) -> str:
    parts = [f'<div class="detail {r["outcome"]}" id="{ref}"><h3>{_esc(r["outcome"])}: {_esc(r["property"])} on '
             f'<code>{_esc(r["implementation"])}</code></h3>', f"<p>{_esc(r.get('reason') or '')}</p>"]
    dev = r.get("deviation")
    if dev:
        parts.append(f"<p><b>{_esc(dev['id'])}</b> ({_esc(dev['api'])}, observed with {_esc(dev['observed'])}).<br>"
                     f"Spec: {_esc(dev['spec'])}<br>Behaviour: {_esc(dev['behaviour'])}<br>"
                     f"Region: {_esc(dev.get('region_text', ''))}</p>")
    if r.get("checked"):
        parts.append(f"<p>Cases checked: {_esc(checked_text(r))}</p>")
    for label, key in (("Minimal counterexample", "counterexample"), ("Reproduce", "reproduce"),
                       ("Replay", "replay")):
        if r.get(key):
            parts.append(f"<p>{label}:</p><pre>{_esc(r[key])}</pre>")
    return "".join(parts) + "</div>"


def write(report: dict[str, Any], directory: Path) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {"report.json": json.dumps(report, indent=1, sort_keys=False), "report.md": markdown(report),
           "report.html": html_page(report)}
    paths = []
    for name, text in out.items():
        p = directory / name
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dlspec report", description="merge conformance reports into one matrix")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("merge", help="merge report.json files from several machines or versions")
    m.add_argument("reports", nargs="+", type=Path)
    m.add_argument("-o", "--output", type=Path, required=True, help="directory for the merged report.*")
    args = p.parse_args(argv)
    try:
        reports = [load(path) for path in args.reports]
    except (OSError, ValueError) as e:
        print(f"dlspec report merge: {e}", file=sys.stderr)
        return 2
    for path in write(merge(reports), args.output):
        print(path)
    return 0
