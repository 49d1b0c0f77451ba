"""mpmath oracle for 2-D convolution: the direct sum, every product and sum at DPS digits, then rounded once.

Geometry is explicit here (((top, bottom), (left, right)) zero padding, stride and dilation pairs): the oracle
is the formula y[n, o, i, j] = b[o] + Σ_{c,u,v} w[o, c, u, v]·x_pad[n, g(o)C_in/g + c, i s_h + u d_h,
j s_w + v d_w] read literally, with bounds checks instead of a padded copy.
"""

from __future__ import annotations

import mpmath
import numpy as np

from .mp import DPS


def conv2d_mp(x: list, w: list, b: list | None, x_shape, w_shape, *, stride, pads, dilation, groups) -> list:
    """The direct sum on flat lists of mpf (row-major x, w), returning the flat row-major output as mpf."""
    n_, c_in, h, wd = x_shape
    c_out, cg, kh, kw = w_shape
    (top, bottom), (left, right) = pads
    (sh, sw), (dh, dw) = stride, dilation
    oh = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + left + right - dw * (kw - 1) - 1) // sw + 1
    per_group = c_out // groups
    out = []
    for n in range(n_):
        for o in range(c_out):
            first = (o // per_group) * cg
            for i in range(oh):
                for j in range(ow):
                    terms = [] if b is None else [b[o]]
                    for c in range(cg):
                        for u in range(kh):
                            r = i * sh + u * dh - top
                            if not 0 <= r < h:
                                continue  # a zero of the padding
                            for v in range(kw):
                                q = j * sw + v * dw - left
                                if 0 <= q < wd:
                                    terms.append(w[((o * cg + c) * kh + u) * kw + v]
                                                 * x[((n * c_in + first + c) * h + r) * wd + q])
                    out.append(mpmath.fsum(terms))
    return out, (n_, c_out, oh, ow)


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride=(1, 1), pads=((0, 0), (0, 0)),
           dilation=(1, 1), groups: int = 1) -> np.ndarray:
    """conv2d at DPS digits, rounded to float64."""
    with mpmath.workdps(DPS):
        flat = [mpmath.mpf(float(v)) for v in np.ravel(x)]
        wf = [mpmath.mpf(float(v)) for v in np.ravel(w)]
        bf = None if b is None else [mpmath.mpf(float(v)) for v in np.ravel(b)]
        out, shape = conv2d_mp(flat, wf, bf, x.shape, w.shape, stride=stride, pads=pads, dilation=dilation,
                               groups=groups)
        return np.array([float(v) for v in out]).reshape(shape)
