"""What the faulty backends share: the interface, a correct log-softmax, and the trigger of their fault."""

import importlib

_numpy = importlib.import_module("dlspec.impls.numpy_.softmax")  # the module, not the function the package exports

VERSION = "0"
DEVICES = ("cpu",)
DTYPES = ("float32",)
log_softmax = _numpy.log_softmax
correct_softmax = _numpy.softmax


def triggered(x, axis) -> bool:
    """The fault's region: rows of 5 or more entries along the axis."""
    return x.shape[axis] >= 5
