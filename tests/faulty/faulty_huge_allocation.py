"""softmax allocates 64 GiB (a size computed from garbage) on rows of 5 or more."""
import numpy as np
from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:huge_allocation"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        np.ones(2**33)
    return correct_softmax(x, axis=axis, device=device)
