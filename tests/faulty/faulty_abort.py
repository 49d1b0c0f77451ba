"""softmax aborts (a failed assertion in a native kernel: SIGABRT) on rows of 5 or more."""

import os

from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:abort"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        os.abort()
    return correct_softmax(x, axis=axis, device=device)
