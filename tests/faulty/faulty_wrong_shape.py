"""softmax returns the flattened result (the wrong shape) on rows of 5 or more."""

from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:wrong_shape"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        return correct_softmax(x, axis=axis, device=device).ravel()
    return correct_softmax(x, axis=axis, device=device)
