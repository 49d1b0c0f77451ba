"""NumPy backend: the operations written with NumPy alone, the way a careful NumPy user would write them.

Independent of dlspec.spec (it never calls it). Reductions of float16 inputs accumulate in float32 (`dtype=`),
as NumPy's own mean/var recommend for half precision; results are returned in the input dtype.
One module per formula family; this package is the backend module (its attributes are the operations).
"""

from __future__ import annotations

import numpy as np

from .batch_norm import *  # noqa: F403
from .conv import *  # noqa: F403
from .cross_entropy import *  # noqa: F403
from .iou import *  # noqa: F403
from .kl import *  # noqa: F403
from .norms import *  # noqa: F403
from .pooling import *  # noqa: F403
from .sigmoid import *  # noqa: F403
from .softmax import *  # noqa: F403

NAME = "numpy"
VERSION = np.__version__
DEVICES = ("cpu",)
DTYPES = ("float16", "float32", "float64")
