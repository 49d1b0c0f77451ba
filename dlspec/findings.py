"""`dlspec findings`: the deviation catalogue as a table a person can act on — framework, API, cause, dtypes, class
(bug / convention / accuracy-limit) and upstream status (the issue or commit, the documentation, or "not found"
with the date searched). Markdown by default (it pastes into an issue or a job summary); `--format json` too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import deviations as catalogue


def _status(d: catalogue.Deviation) -> str:
    up = d.upstream
    if not up:
        return "not looked up"
    status, ref = up.get("status", ""), up.get("ref", "")
    if status == "issue":
        return f"[{up.get('title') or ref}]({ref})" if ref else up.get("title", "issue")
    if status == "documented":
        return f"documented: [{up.get('title') or ref}]({ref})" if ref else "documented"
    return "not found" + (f" ({up['searched']})" if up.get("searched") else "")


def rows(entries: list[catalogue.Deviation]) -> list[dict[str, str]]:
    return [{"framework": d.backends[0].split(":")[0], "api": d.api, "id": d.id, "cause": d.reason,
             "backends": ", ".join(d.backends), "dtypes": ", ".join(d.dtypes) if d.dtypes else "all",
             "class": d.kind or "unclassified", "why": d.class_why or "", "status": _status(d),
             "region": d.region_text()} for d in entries]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(table: list[dict[str, str]]) -> str:
    head = ["framework", "API", "cause", "dtypes", "class", "upstream"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(table, key=lambda r: (r["framework"], r["class"], r["id"])):
        lines.append("| " + " | ".join(_cell(v) for v in (
            r["framework"], r["api"], f"`{r['id']}`: {r['cause']}", r["dtypes"], r["class"], r["status"])) + " |")
    counts = {k: sum(r["class"] == k for r in table) for k in (*catalogue.CLASSES, "unclassified")}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    return "\n".join(lines) + f"\n\n{len(table)} findings: {summary}.\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dlspec findings", description=__doc__.split("\n\n")[0])
    p.add_argument("--deviations", type=Path, action="append", default=[],
                   help="an extra catalogue (TOML) to list with the shipped ones")
    p.add_argument("--class", dest="kind", choices=catalogue.CLASSES, help="only findings of this class")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    args = p.parse_args(argv)
    try:
        entries = catalogue.load(tuple(args.deviations))
    except catalogue.CatalogueError as e:
        print(f"dlspec findings: {e}", file=sys.stderr)
        return 2
    table = [r for r in rows(entries) if args.kind is None or r["class"] == args.kind]
    print(json.dumps(table, indent=1) if args.format == "json" else markdown(table), end="")
    return 0
