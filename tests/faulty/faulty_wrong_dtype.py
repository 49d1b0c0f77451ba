"""softmax returns float64 for a float32 input (the wrong dtype) on rows of 5 or more."""

import numpy as np
from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:wrong_dtype"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        return correct_softmax(x, axis=axis, device=device).astype(np.float64)
    return correct_softmax(x, axis=axis, device=device)
