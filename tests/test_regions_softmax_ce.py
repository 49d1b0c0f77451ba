"""The region predicates of the softmax / cross-entropy deviations: true on each entry's minimal example, false on
a near case outside the region."""

from __future__ import annotations

from dlspec.deviations import load
from dlspec.deviations.regions_softmax_ce import float16_loss_sum_overflows
from dlspec.properties.harness import Case


def _example(entry_id: str) -> Case:
    (entry,) = [d for d in load() if d.id == entry_id]
    assert entry.region == "float16_loss_sum_overflows"
    return Case.from_example(entry.examples[0].case)


def test_float16_loss_sum_overflows_holds_on_the_catalogued_example():
    case = _example("torch-weighted-ce-mean-float16-overflows")
    assert float16_loss_sum_overflows(case, "float16")


def test_float16_loss_sum_overflows_is_false_just_below_the_threshold_and_in_other_dtypes():
    case = _example("torch-weighted-ce-mean-float16-overflows")
    assert not float16_loss_sum_overflows(case, "float32")
    near = Case(**{**case.fields(), "logits": case.logits / 40000.0 * 32000.0})  # losses 32000: sum 64000
    assert not float16_loss_sum_overflows(near, "float16")
    summed = Case(**{**case.fields(), "reduction": "sum"})
    assert not float16_loss_sum_overflows(summed, "float16")


def test_float16_softmax_normaliser_reaches_256_holds_on_the_catalogued_example_only():
    from dlspec.deviations.regions_softmax_ce import float16_softmax_normaliser_reaches_256

    (entry,) = [d for d in load() if d.id == "jax-softmax-vjp-float16-normaliser-squared-overflows"]
    assert entry.region == "float16_softmax_normaliser_reaches_256"
    case = Case.from_example(entry.examples[0].case)
    assert float16_softmax_normaliser_reaches_256(case, "float16")
    assert not float16_softmax_normaliser_reaches_256(case, "float32")
    shorter = Case(x=case.x[:, :255], dy=case.dy[:, :255], axis=-1)  # w = 255: w² = 65025 is finite
    assert not float16_softmax_normaliser_reaches_256(shorter, "float16")


def test_rounded_log_sum_exp_exceeds_budget_holds_on_the_catalogued_example_only():
    from dlspec.deviations.regions_softmax_ce import rounded_log_sum_exp_exceeds_budget

    (entry,) = [d for d in load() if d.id == "optax-sparse-ce-rounded-log-sum-exp"]
    assert entry.region == "rounded_log_sum_exp_exceeds_budget"
    case = Case.from_example(entry.examples[0].case)
    for dtype in entry.dtypes:
        assert rounded_log_sum_exp_exceeds_budget(case, dtype)
    near = Case(**{**case.fields(), "logits": case.logits / 2.0**96})  # two equal logits of 16: log 2 survives
    assert not rounded_log_sum_exp_exceeds_budget(near, "float32")


def test_float16_loss_sum_overflows_holds_for_the_pos_weight_entry():
    (entry,) = [d for d in load() if d.id == "tf-reduce-mean-float16-overflows-pos-weight"]
    assert entry.region == "float16_loss_sum_overflows"
    case = Case.from_example(entry.examples[0].case)
    assert float16_loss_sum_overflows(case, "float16")
    near = Case(**{**case.fields(), "logits": case.logits / 40000.0 * 32000.0})  # sum 64000 < 65520
    assert not float16_loss_sum_overflows(near, "float16")
