"""Process settings shared by the pytest plugin and the benchmark, applied before any framework is imported."""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS")


def pin_threads() -> None:
    """One thread per process unless the user says otherwise: the audit's tensors are small, where one thread is
    fastest, and two worker processes side by side must not oversubscribe two cores. Quiet TensorFlow's logs."""
    for var in THREAD_VARIABLES:
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
