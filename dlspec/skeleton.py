"""`dlspec new-backend`: write a backend module with every operation of the spec stubbed, ready to fill in.

Each stub has the spec function's exact parameters plus keyword-only `device`, the spec's docstring (the
formula it must compute), and raises NotImplementedError — which the audit reports as a skip ("not implemented
yet"), so a backend can be filled in and audited one operation at a time.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import textwrap
from pathlib import Path

from .dtypes import FLOAT_DTYPES
from .spec import FAMILY_OF, OPS

HEADER = '''"""{name}: a dlspec backend, to fill in one operation at a time.

`dlspec audit --backend-module {module}` audits what is written and reports the stubs as not implemented yet.
The interface is described in dlspec's impls/README.md; each stub's docstring is the spec's definition.
"""

import numpy as np  # noqa: F401  (most backends convert to and from NumPy arrays)

NAME = {name!r}
VERSION = "0.1"
DEVICES = ("cpu",)
DTYPES = {dtypes!r}
'''


def _parameters(fn) -> str:
    out, star = [], False
    for p in inspect.signature(fn).parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        out.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    if not star:
        out.append("*")
    out.append("device")
    return ", ".join(out)


def render(name: str, module: str) -> str:
    parts = [HEADER.format(name=name, module=module, dtypes=FLOAT_DTYPES)]
    family = None
    for op, fn in OPS.items():
        if FAMILY_OF[op] != family:
            family = FAMILY_OF[op]
            parts.append(f"\n# --- {family} " + "-" * (100 - len(family)) + "\n")
        doc = textwrap.indent(inspect.cleandoc(fn.__doc__ or ""), "    ")
        parts.append(f'\ndef {op}({_parameters(fn)}):\n    r"""{doc.lstrip()}\n    """\n'
                     f"    raise NotImplementedError\n\n")
    return "".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dlspec new-backend", description=__doc__.split("\n\n")[0])
    p.add_argument("path", type=Path, help="the module file to write, e.g. my_backend.py")
    p.add_argument("--name", help="the backend's NAME, 'framework:api' (default: mine:<file stem>)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = p.parse_args(argv)
    if args.path.exists() and not args.force:
        print(f"dlspec new-backend: {args.path} exists (use --force to overwrite)", file=sys.stderr)
        return 2
    name = args.name or f"mine:{args.path.stem}"
    args.path.write_text(render(name, args.path.stem), encoding="utf-8")
    print(f"wrote {args.path}: {len(OPS)} operations stubbed. Audit it with:\n"
          f"  PYTHONPATH={args.path.parent.resolve()} dlspec audit --backend-module {args.path.stem}")
    return 0
