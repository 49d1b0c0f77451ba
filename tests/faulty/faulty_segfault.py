"""softmax reads address 0 (a native kernel's out-of-bounds read: SIGSEGV) on rows of 5 or more."""

import ctypes

from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:segfault"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        ctypes.string_at(0)
    return correct_softmax(x, axis=axis, device=device)
