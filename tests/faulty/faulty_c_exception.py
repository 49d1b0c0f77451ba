"""softmax raises from NumPy's C code (ValueError: negative dimensions) on rows of 5 or more."""

import numpy as np
from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:c_exception"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        np.empty(-x.shape[axis])
    return correct_softmax(x, axis=axis, device=device)
