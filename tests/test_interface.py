"""The backend interface: what a valid backend is, and the clear errors for what is not."""

from __future__ import annotations

import types

import numpy as np
import pytest

from dlspec.impls import BUILTIN, BackendError, load, load_module
from dlspec.impls.interface import from_module
from dlspec.properties.harness import Case, Impl
from dlspec.spec import OPS


def _module(**attrs):
    m = types.ModuleType("fake_backend")
    base = {"NAME": "fake", "VERSION": "1.0", "DEVICES": ("cpu",), "DTYPES": ("float32",)}
    m.__dict__.update({**base, **attrs})
    return m


def test_a_backend_needs_its_metadata():
    with pytest.raises(BackendError, match="lacks NAME, VERSION"):
        from_module(types.ModuleType("empty"), "empty", OPS)


def test_a_backend_op_must_have_the_spec_signature_plus_device():
    def softmax(x, axis=-1):  # axis not keyword-only, and no device
        return x

    with pytest.raises(BackendError, match=r"softmax\(x, axis\) does not match the spec's signature "
                                           r"softmax\(x, \*, axis, device\)"):
        from_module(_module(softmax=softmax), "fake", OPS)


def test_unknown_dtypes_are_rejected():
    with pytest.raises(BackendError, match="DTYPES has"):
        from_module(_module(DTYPES=("float8",)), "fake", OPS)


def test_a_minimal_backend_provides_only_what_it_defines():
    def softmax(x, *, axis=-1, device):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    b = from_module(_module(softmax=softmax), "fake", OPS)
    assert set(b.ops) == {"softmax"}
    assert b.skip_reason("log_softmax", "cpu", "float32") == "fake does not provide 'log_softmax'"
    assert b.skip_reason("softmax", "cpu", "float16") == "fake does not support float16 (it supports float32)"
    assert b.skip_reason("softmax", "cuda", "float32").startswith("fake has no device 'cuda'")
    assert b.skip_reason("softmax", "cpu", "float32") is None


def test_a_module_that_does_not_import_is_a_clear_error():
    message = r"backend module 'no_such_pkg\.backend' does not import: ModuleNotFoundError"
    with pytest.raises(BackendError, match=message):
        load_module("no_such_pkg.backend")


def test_unknown_backend_names_list_the_known_ones():
    with pytest.raises(BackendError, match=r"unknown backend 'nope'; known backends: .*numpy"):
        load("nope")


@pytest.mark.parametrize("name", ["spec", "numpy"])
def test_builtin_backends_load_and_validate(name):
    b = load(name)
    assert b.name == name and b.ops
    assert name in BUILTIN


def test_the_spec_backend_provides_every_op():
    assert set(load("spec").ops) == set(OPS)


def test_impl_casts_inputs_to_the_dtype_and_returns_float64():
    seen = {}

    def softmax(x, *, axis=-1, device):
        seen["dtype"], seen["device"] = x.dtype, device
        return x

    impl = Impl(from_module(_module(softmax=softmax, DTYPES=("float16",)), "fake", OPS), "cpu", "float16")
    out = impl("softmax", np.array([1.0, 2.0]), axis=-1)
    assert seen == {"dtype": np.float16, "device": "cpu"} and out.dtype == np.float64


def test_an_op_returning_a_framework_tensor_is_a_clear_error():
    def softmax(x, *, axis=-1, device):
        return [1.0]

    impl = Impl(from_module(_module(softmax=softmax), "fake", OPS), "cpu", "float32")
    with pytest.raises(BackendError, match=r"returned builtins\.list; operations must return NumPy arrays"):
        impl("softmax", np.array([1.0]))


def test_a_case_repr_round_trips_through_a_catalogue_example():
    case = Case(x=np.array([[0.1, -2.5e-8]]), labels=np.array([3, 0]), axis=-1)
    again = Case.from_example(eval(repr(case)[len("Case"):].join(["dict", ""])))
    assert repr(again) == repr(case)
    assert again.labels.dtype == np.int64 and again.x.dtype == np.float64
