"""The spec's mean IoU against the exact rational oracle (oracles/iou.py), within the error model the backends
get (properties/iou.py) evaluated for float64: the spec is held to the standard it holds others to."""

from __future__ import annotations

from hypothesis import given

from dlspec.oracles import iou as O
from dlspec.properties import iou as P
from dlspec.properties.tolerance import compare
from dlspec.spec import iou as S


@given(P.label_cases("float64"))
def test_spec_mean_iou_matches_exact_oracle(case):
    got = S.mean_iou(case.pred, case.target, num_classes=case.num_classes, ignore_index=case.ignore_index)
    want = O.mean_iou(case.pred, case.target, num_classes=case.num_classes, ignore_index=case.ignore_index)
    bound = P.mean_iou_bound(case.pred, case.target, case.num_classes, ignore_index=case.ignore_index)
    c = compare(got, want, bound, "float64")
    assert c.ok, f"mean_iou={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"
