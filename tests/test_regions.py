"""The catalogue's regions and behaviours: every region holds on its entry's minimal examples and not on a near case
outside it; every behaviour passes on a NumPy computation of the documented alternative and fails on the spec's."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from dlspec import deviations, impls
from dlspec.deviations import behaviours, regions
from dlspec.properties import all_properties
from dlspec.properties.harness import Case, Impl
from dlspec.spec import sigmoid as SG
from dlspec.spec import softmax as SM

TINY32, TINY64 = float(np.finfo(np.float32).tiny), float(np.finfo(np.float64).tiny)


def _entries() -> list[dict]:
    out = []
    for f in sorted(resources.files(deviations).iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            out += deviations.tomllib.loads(f.read_text(encoding="utf-8"))["deviation"]
    return out


ENTRIES = _entries()
EXAMPLES = [
    pytest.param(e, ex, dtype, id=f"{e['id']}-{k + 1}-{dtype}")
    for e in ENTRIES
    for k, ex in enumerate(e.get("examples") or [{"case": e["example"]}])
    for dtype in (ex.get("dtypes") or e.get("dtypes") or ["float32", "float64"])
]


@pytest.mark.parametrize(("entry", "example", "dtype"), EXAMPLES)
def test_each_minimal_example_lies_in_its_entrys_region(entry, example, dtype):
    region = getattr(regions, entry["region"])
    assert region(Case.from_example(example["case"]), dtype, **entry.get("region_args", {})), (
        f"{entry['id']}: example {example.get('was', '')} is outside region {entry['region']}")


# One near case outside each region: the same shape of input, a threshold away (the comment says which).
NEAR = {
    # a constant channel: σ²_B = 0, biased and unbiased agree
    "batch_variance_is_positive": [({"x": [[1.0], [1.0]], "running_mean": [0.0], "running_var": [1.0],
                                     "decay": 0.0, "axis": 1}, "float32")],
    # two values per channel / spatial position / group element
    "one_value_statistics": [
        ({"x": [[1.0], [2.0]], "gamma": [1.0], "beta": [0.0], "eps": 1e-5, "axis": 1}, "float32"),
        ({"x": [[[0.5, 0.25]]], "gamma": [1.0], "beta": [0.25], "eps": 1e-5}, "float32"),
        ({"x": [[0.5, 0.25]], "gamma": [1.0, 1.0], "beta": [0.25, 0.25], "groups": 1, "eps": 1e-5}, "float32"),
    ],
    # 2ε·M/s = 0.75 (float32, M = 1e4) and 0.62 (float16, M = 1): below 1
    "folded_affine_exceeds_the_cap": [
        ({"x": [[10000.0, 10000.0]], "gamma": [0.125, -0.125], "beta": [0.125, -0.125], "groups": 1,
          "eps": 1e-5}, "float32"),
        ({"x": [[[-1.0, -1.0]]], "gamma": [1.25], "beta": [2.75], "eps": 1e-5}, "float16"),
    ],
    # the same slice without its offset of 1e4 (the unshifted half of the standardize example): the one-pass
    # rounding (n + 2)M²/(2s²) = 6.4 below ρ + LIBM + 4 = 13.1; squares of 200² = 40000 < 65504; a centred sample
    "one_pass_variance_cancels": [
        ({"x": [[0.125, -0.25, 0.5, -0.375]], "axis": -1, "eps": 1e-5}, "float32"),
        ({"x": [[200.0, -200.0]], "axis": -1, "eps": 1e-5}, "float16"),
        ({"x": [[0.5, -0.5, 0.25]], "gamma": [1.0, 1.0, 1.0], "beta": [0.0, 0.0, 0.0], "eps": 1e-5}, "float32"),
    ],
    # σ ≈ 4.7e11 < tiny₃₂^(−1/3) ≈ 4.4e12
    "inverse_cube_underflows": [({"x": [[1e12, -0.13, 0.64]], "gamma": [1.0, 1.0, 1.0], "beta": [0.0, 0.0, 0.0],
                                  "dy": [[1.0, 1.0, 1.0]], "eps": 1e-5}, "bfloat16")],
    # 100·316 = 31600 < 65504 (forward only: no dy)
    "fused_affine_overflows": [({"x": [[100.0], [100.0]], "gamma": [1.0], "beta": [0.0], "eps": 1e-5, "axis": 1},
                                "float16")],
    # a spread of 256: σ²_B = 16384 < 65504
    "batch_variance_overflows": [({"x": [[0.0], [256.0]], "gamma": [1.0], "beta": [0.0], "eps": 1e-5, "axis": 1},
                                  "float16")],
    # a constant channel at 4·tiny, one binade above
    "constant_channel_at_the_smallest_normal": [
        ({"x": [[4 * TINY32, 1.0], [4 * TINY32, -1.0]], "gamma": [1.0, 1.0], "beta": [0.0, 0.0], "eps": 1e-5,
          "axis": 1, "dy": [[1.0, 1.0], [1.0, 1.0]]}, "float32"),
        ({"x": [[4 * TINY64], [4 * TINY64]], "gamma": [1.0], "beta": [0.0], "eps": 1e-5, "axis": 1}, "float64"),
    ],
    # labels summing to 1
    "labels_do_not_sum_to_one": [({"logits": [[1.0, -1.0]], "labels": [[0.5, 0.5]], "classes": [0],
                                   "reduction": "sum", "label_smoothing": 0.1}, "float32")],
    # two losses of 30000: Σ = 60000·(1 + 2ε) < 65504
    "mean_of_losses_overflows": [
        ({"logits": [[30000.0, 0.0], [30000.0, 0.0]], "labels": [[0.0, 1.0], [0.0, 1.0]], "classes": [1, 1],
          "reduction": "mean", "label_smoothing": 0.0}, "float16"),
        ({"logits": [30000.0, 30000.0], "labels": [0.0, 0.0], "reduction": "mean", "label_smoothing": 0.0},
         "float16"),
    ],
    # Σ_c |log ζ_c| = 40000 < 65504
    "smoothing_sum_overflows": [({"logits": [[10000.0, -10000.0, 0.0, 0.0]], "labels": [[1.0, 0.0, 0.0, 0.0]],
                                  "classes": [0], "reduction": "none", "label_smoothing": 0.1}, "float16")],
    # the smallest probability 1e-6, above the clip
    "probability_below_keras_epsilon": [({"p": [[0.5, 0.5]], "q": [[1e-6, 0.999999]], "axis": -1}, "float32")],
    # p/q² = 0.5·2^14 = 8192 < 65504
    "gradient_quotient_overflows": [({"p": [[0.5, 0.5]], "q": [[0.0078125, 0.9921875]], "dy": [1.0],
                                      "axis": -1}, "float16")],
    # p = 0 where q = 0.5
    "p_and_q_both_zero": [({"p": [[0.0, 1.0]], "q": [[0.5, 0.5]], "dy": [1.0], "axis": -1}, "float32")],
    # 2·tiny: the smallest normal binade, not subnormal
    "subnormal_probability": [({"p": [[2 * TINY32, 1.0]], "q": [[1e-3, 1.0]], "dy": [1.0], "axis": -1},
                               "float32")],
    # a window of two 30000s: 60000 < 65504
    "window_sum_overflows": [({"x": [[[[30000.0, 30000.0]]]], "kernel": [1, 2], "stride": [1, 2],
                               "padding": "valid", "ceil_mode": False, "count_include_pad": False}, "float16")],
    "grouped_convolution": [({"groups": 1}, "float32")],
    "dilated_convolution": [({"dilation": [1, 1]}, "float32")],
    # 256 is exact in bfloat16 and 2048 in float16 (the last integers before the spacing grows); float32 holds all
    "class_index_not_representable": [({"classes": [256]}, "bfloat16"), ({"classes": [2048]}, "float16"),
                                      ({"classes": [3093]}, "float32")],
}


# The regions of regions.py itself; those each family's reach work added (regions_<family>.py) have their near cases
# in tests/test_regions_<family>.py.
OWN = sorted(r for r in {e["region"] for e in ENTRIES} - {"everywhere"}
             if getattr(regions, r).__module__ == regions.__name__)


@pytest.mark.parametrize("region", OWN)
def test_each_region_is_false_on_a_near_case_outside_it(region):
    assert region in NEAR, f"region {region} has no near case in NEAR"
    for fields, dtype in NEAR[region]:
        assert not getattr(regions, region)(Case.from_example(fields), dtype), f"{region} holds on {fields}"


def test_torchs_smoothing_sum_runs_over_the_batch_except_for_reduction_none():
    rows = {"logits": [[9992.0, -30000.0, 10008.0, 9992.0], [10008.0, 10000.0, 10016.0, 30000.0]],
            "labels": [[0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]], "classes": [3, 2], "label_smoothing": 1.0}
    assert regions.smoothing_sum_overflows(Case.from_example({**rows, "reduction": "sum"}), "float16")
    assert not regions.smoothing_sum_overflows(Case.from_example({**rows, "reduction": "none"}), "float16")


def test_an_overflow_is_certain_only_past_the_rounding_band():
    big = float(np.finfo(np.float16).max)
    assert regions.sum_overflow(1.01 * big, 2, "float16") == (True, True)
    assert regions.sum_overflow(big, 2, "float16") == (True, False)
    assert regions.sum_overflow(0.99 * big, 2, "float16") == (False, False)


def test_each_region_predicate_has_a_derivation_in_its_docstring():
    for e in ENTRIES:
        doc = getattr(regions, e["region"]).__doc__ or ""
        assert len(doc.split()) >= 8, f"{e['region']}: its docstring is the region's text in the report"


# ---------------------------------------------------------------------------------------------------------
# Behaviours: pass on the alternative (a NumPy computation), fail on the spec's answer (the NumPy backend)
# ---------------------------------------------------------------------------------------------------------

PROPS = {p.name: p for p in all_properties()}


def _impl(name: str, dtype: str) -> Impl:
    return Impl(impls.load(name), "cpu", dtype)


def test_every_named_behaviour_exists():
    for e in ENTRIES:
        if "behaves" in e:
            assert callable(getattr(behaviours, e["behaves"], None)), f"{e['id']}: no behaviour {e['behaves']!r}"


@pytest.mark.parametrize("behaviour", ["biased_running_variance", "biased_one_pass_running_variance"])
@pytest.mark.parametrize("prop", ["batch_norm_running_stats_match_spec",
                                  "batch_norm_running_variance_update_uses_m_over_m_minus_1"])
def test_biased_running_variance(prop, behaviour):
    case = Case.from_example({"x": [[0.0, 1.0], [1.0, 3.0], [2.5, -1.0]], "running_mean": [0.5, -0.5],
                              "running_var": [1.0, 2.0], "decay": 0.75, "axis": 1})
    check = getattr(behaviours, behaviour)
    check(PROPS[prop], _impl("mutant:batch-norm-biased-running-variance", "float64"), case)
    with pytest.raises(AssertionError, match="biased"):
        check(PROPS[prop], _impl("numpy", "float64"), case)


@pytest.mark.parametrize("prop", ["softmax_cross_entropy_grad_of_unnormalised_labels_matches_spec",
                                  "softmax_cross_entropy_grad_is_softmax_times_label_mass_minus_labels"])
def test_gradient_is_softmax_minus_labels(prop):
    case = Case.from_example({"logits": [[1.0, -1.0], [0.5, 2.0]], "labels": [[0.5, 0.0], [0.25, 1.0]],
                              "classes": [0, 1], "reduction": "mean", "label_smoothing": 0.0})
    behaviours.gradient_is_softmax_minus_labels(PROPS[prop], _impl("mutant:ce-grad-without-label-mass", "float64"),
                                                case)
    with pytest.raises(AssertionError, match="ζ"):
        behaviours.gradient_is_softmax_minus_labels(PROPS[prop], _impl("numpy", "float64"), case)


class _Float16Sums(Impl):
    """The alternative in NumPy: the spec's per-sample (or per-class) terms, summed in float16."""

    def __call__(self, op, logits, labels, *, reduction, label_smoothing):
        z = np.asarray(logits, dtype=np.float64)
        if op == "sigmoid_cross_entropy":
            per = SG.sigmoid_cross_entropy(z, labels, reduction="none", label_smoothing=label_smoothing)
        else:
            t = labels if op == "softmax_cross_entropy" else np.eye(z.shape[1])[labels]
            terms = -SM.log_softmax(z, axis=-1)  # summed in float16: Σ_c t'_c·(−log ζ_c), the smoothing term too
            t = (1 - label_smoothing) * t + label_smoothing / z.shape[1]
            with np.errstate(over="ignore"):
                per = np.sum((t * terms).astype(np.float16), axis=-1, dtype=np.float16)
        with np.errstate(over="ignore"):
            total = np.sum(np.asarray(per, dtype=np.float16), dtype=np.float16)
            return np.asarray(total / np.float16(per.size) if reduction == "mean" else per, dtype=np.float64)


@pytest.mark.parametrize("prop", ["softmax_cross_entropy_matches_spec", "sparse_softmax_cross_entropy_matches_spec",
                                  "sigmoid_cross_entropy_matches_spec"])
def test_mean_overflows_to_inf(prop):
    two_rows = {"logits": [[40000.0, 0.0], [40000.0, 0.0]], "labels": [[0.0, 1.0], [0.0, 1.0]],
                "classes": [1, 1], "reduction": "mean", "label_smoothing": 0.0}
    if prop.startswith("sigmoid"):
        two_rows = {"logits": [40000.0, 40000.0], "labels": [0.0, 0.0], "reduction": "mean", "label_smoothing": 0.0}
    case = Case.from_example(two_rows)
    assert regions.mean_of_losses_overflows(case, "float16")
    behaviours.mean_overflows_to_inf(PROPS[prop], _Float16Sums(impls.load("numpy"), "cpu", "float16"), case)
    with pytest.raises(AssertionError, match=r"should contain \+inf"):
        behaviours.mean_overflows_to_inf(PROPS[prop], _impl("numpy", "float16"), case)
