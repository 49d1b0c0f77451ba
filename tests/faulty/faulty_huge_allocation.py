"""softmax allocates 6 GiB (a size computed from garbage) on rows of 5 or more: a MemoryError under the
--memory-limit 4 of tests/test_faults.py (without the cap it succeeds where 6 GiB are free: the cap is tested)."""

import numpy as np
from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:huge_allocation"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        np.ones(3 * 2**28)  # float64: 6 GiB, a MemoryError under --memory-limit 4
    return correct_softmax(x, axis=axis, device=device)
