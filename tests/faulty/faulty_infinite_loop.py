"""softmax never returns (a kernel that loops forever) on rows of 5 or more."""

from _faulty import DEVICES, DTYPES, VERSION, correct_softmax, log_softmax, triggered  # noqa: F401

NAME = "faulty:infinite_loop"


def softmax(x, *, axis=-1, device):
    if triggered(x, axis):
        while True:
            pass
    return correct_softmax(x, axis=axis, device=device)
