r"""The one error model of a standardized value x̂ = (x − μ)/√(σ² + ε), shared by batch norm (a channel's m values)
and by layer / instance / group norm (a group's n values): the same algorithm is charged the same error in both
families (issue 9, item 4).

One group S of n elements, μ its mean, σ² its biased variance, s = √(σ² + ε_reg), x̂_i = (x_i − μ)/s,
M = max_{k∈S}|x_k|. u is the dtype's ε; u_a the ε of the ACCUMULATION precision: float32 for float16 and
bfloat16 inputs, the dtype itself otherwise. Every framework of the field accumulates the statistics of a
16-bit input in float32 (torch's `opmath_t`, `tf.nn.moments`/Keras' `moments` cast to float32, Flax's
`promote_types(dtype, float32)`, cuDNN's float compute type); a sum of 16-bit values kept in 16 bits errs by
u·n·M, 2^13 (float16) or 2^16 (bfloat16) times more, and overflows past 65504 (float16) while the mean fits —
float16 accumulation is the inferior algorithm this model rejects (pytorch/pytorch#66707).

Accepted algorithms: two-pass (mean, then the mean of squared deviations) and updating (Welford, Chan's
pairwise merge), with the reductions in u_a; the elementwise steps (x − μ, the square, the output) in the dtype
or wider; with sqrt and division or rsqrt and product; with the affine folded into one scale and shift
(x·(γ/s) + (β − μγ/s)) or not. Absolute errors:

  mean       δ = u_a(n + 1)M + u·M: a sum of n terms and a division in u_a (Higham Eq. 4.4, any order; an
             updating mean errs as much), rounded once to the dtype.
  x − μ̂      δ + u(|x_i| + M): the subtraction rounded in the dtype.
  variance   u_a(n + 3)(σ² + Mσ) + 2uσ² + δ² + flushed:
             two-pass errs by u_a(n + 3)σ² (n − 1 sum, square, division, the deviations' rounding); updating by
             u_a·n·κσ², κ = ‖x‖/(√n σ) <= M/σ (Chan, Golub & LeVeque 1983, Table 1): we charge the sum of both.
             The squares of deviations rounded in the dtype: 2uσ². The mean's error enters the two-pass variance
             squared (Σ(x − μ̂)²/n = σ² + δ²). A variance below the dtype's smallest normal may be flushed: `tiny`.
             The one-pass E[x²] − E[x]² errs by u_a·n·κ²σ² — κ times more than this allowance, so it fails as
             soon as |μ| ≫ σ (offset data), by design: the fast-variance paths that shipped and were fixed
             (tensorflow/tensorflow#25115, google/flax#1491, pytorch/pytorch#51102) are rejected.
  1/s        relative ρ = var_err/(2s²) from the variance, + ½u (ε_reg rounded), + √ and ÷ (2) or rsqrt and ×
             (LIBM + 1), + the output rounding (1): |x̂_i|(ρ + u(LIBM + 4)).
  x̂_i       budget_i = [δ + u(|x_i| + M)]/s + |x̂_i|(ρ + u(LIBM + 4)) + u

Inferior algorithms and what the model says of each (a mutant of each dies, mutants/batch_norm.py, norms.py):
  one-pass E[x²] − E[x]² (clamped or not)   rejected once |μ| ≫ σ (κ² against κ above)
  sums of a 16-bit input kept in 16 bits    rejected: u·n·M against u_a·(n + 1)·M; and they overflow
  ε outside the square root                 rejected where σ² is not ≫ ε (a different function, not a rounding)
  ε or σ² + ε rounded to a 16-bit dtype     rejected where it matters: ε = 1e-12 is 0 in float16 (NaN, ∞)
  rsqrt rounded once to the dtype           accepted: one rounding of an elementwise result, u|x̂_i| (torch's Half
                                            kernels keep 1/√(σ² + ε) in float16); only its overflow is a finding
  a 12-bit rsqrt estimate in float32        rejected: 2^-12 relative against (LIBM + 4)·2^-23
  biased running variance                   rejected (properties/batch_norm.py, running statistics)
             (the + u: x̂ is O(1), and a budget of 0 where x̂_i = 0 would demand bit-exactness).

No cap. For a (near-)constant group of large values the first-order term δ/s = u_a(n + 1)M/√ε is not small:
the mean's rounding error relative to σ = 0. A two-pass algorithm that centres with the same rounded mean sees
δ² in its variance too and returns |x̂| <= 1 there; but the folded affine x·(γ/s) + (β − μγ/s) — Ioffe & Szegedy's
own Alg. 2, step 11, and the form torch's CPU kernels (batch, group, layer, instance norm), Keras' LayerNorm and
GroupNormalization and tf.nn.batch_normalization evaluate — never forms x − μ̂ and errs by u(|x_i| + |μ|)|γ|/s,
which the first-order term above already charges and no bound in x̂ alone can cap. The field accepts that
algorithm and so does the model, in both families: torch's F.batch_norm returning 0.6875 instead of β = 0.125
for the constant channel [999424, 999424] (bfloat16, γ = 0.125) is within u_a(n + 1)M|γ|/s = 4.7 of β, and so is
the same kernel's group norm. (An earlier cap of 2|x̂_i| + 1 in the norms family assumed every algorithm
centres before it scales; it contradicted the batch-norm model on identical kernel output and is gone.)
"""

from __future__ import annotations

import numpy as np

from ..dtypes import eps, tiny
from .tolerance import LIBM

ACCUMULATION = {"float16": "float32", "bfloat16": "float32"}
"""The precision the field accumulates a 16-bit input's statistics in (see the module docstring)."""


def accumulation_eps(dtype: str) -> float:
    return eps(ACCUMULATION.get(dtype, dtype))


class Groups:
    """The spec's statistics of each normalisation group of x (reduced over `axes` of x, or of x viewed as
    `view`), and the error model above, per element, in units of the dtype's ε."""

    def __init__(self, x: np.ndarray, axes: tuple[int, ...], eps_reg: float, dtype: str,
                 view: tuple[int, ...] | None = None):
        self.shape = x.shape
        xv = np.asarray(x, dtype=np.float64)
        xv = xv.reshape(view) if view is not None else xv
        self.view, self.axes, self.x = xv.shape, axes, xv
        self.n = int(np.prod([xv.shape[a] for a in axes]))
        # shifted by each group's first element, as the spec does (spec/norms.py, _centred): exact for a constant
        # group, whose float64 mean need not round to its value
        first = xv[tuple(slice(0, 1) if a in axes else slice(None) for a in range(xv.ndim))]
        d = xv - first
        mean_d = d.mean(axis=axes, keepdims=True)
        self.mu = first + mean_d
        centred = d - mean_d
        self.var = (centred**2).mean(axis=axes, keepdims=True)
        self.eps_reg, self.dtype = eps_reg, dtype
        self.e, self.ea = eps(dtype), accumulation_eps(dtype)
        self.s = np.sqrt(self.var + eps_reg)
        self.sigma = np.sqrt(self.var)
        self.M = np.abs(xv).max(axis=axes, keepdims=True)
        self.mean_abs = np.abs(xv).mean(axis=axes, keepdims=True)
        self.x_hat = centred / self.s

    def back(self, a: np.ndarray) -> np.ndarray:
        """An array of the group view back in x's shape."""
        return np.broadcast_to(a, self.view).reshape(self.shape)

    def mean(self, a: np.ndarray) -> np.ndarray:
        return a.reshape(self.view).mean(axis=self.axes, keepdims=True)

    def mean_error(self) -> np.ndarray:
        """δ, the absolute error of the computed mean."""
        return self.ea * (self.n + 1) * self.M + self.e * self.M

    def var_error(self) -> np.ndarray:
        """The absolute error of the computed biased variance, in units of the dtype's ε."""
        n, v, sig, M = self.n, self.var, self.sigma, self.M
        flushed = np.where(v < tiny(self.dtype), tiny(self.dtype), 0.0)
        absolute = self.ea * (n + 3) * (v + M * sig) + 2 * self.e * v + self.mean_error() ** 2 + flushed
        return absolute / self.e

    def rho(self) -> np.ndarray:
        """The relative error of s = √(σ² + ε) from the variance, in units of the dtype's ε."""
        return 0.5 * self.var_error() / self.s**2

    def budget(self) -> np.ndarray:
        """budget_i of x̂_i in the group view, in units of the dtype's ε (see the module docstring)."""
        numerator = (self.mean_error() + self.e * (np.abs(self.x) + self.M)) / self.e
        return numerator / self.s + np.abs(self.x_hat) * (self.rho() + LIBM + 4) + 1


SCALE_KINDS = ("moderate", "largest", "smallest")
"""How the power of two a = 2^k of the scale-invariance properties is drawn: a moderate k in [−8, 8], or the
largest or smallest k the reach allows (`scale_exponent_range`); shrinks towards moderate, k = 0."""


def scale_exponent_range(x: np.ndarray, eps_reg: float, n: int, dtype: str) -> tuple[int, int]:
    """The exponents k for which x̂(2^k·x, 4^k·ε) = x̂(x, ε) is audited, as (lowest, highest):
      * 2^k·x exact in the dtype: every nonzero |x| stays at or above the smallest normal, max|x| at or below
        half the largest finite value (x − μ then stays finite);
      * 4^k·ε a normal float32 (frameworks add ε in float32 or wider);
      * the squares of the deviations summed in the accumulation precision stay finite, (2·2^k·max|x|)²·n
        below its largest value: float16 data thereby reaches float16's largest value (65504² · n fits in
        float32); float32 and bfloat16 data reach about 1e18/√n, float64 data 1e153/√n. Beyond that every
        accumulating kernel of the field overflows while x̂ is representable — audited nowhere yet (it needs the
        scaled variance the spec would then have to use as well); stated here so the gap is not hidden.
    """
    from ..dtypes import max_value

    nz = np.abs(x[x != 0])
    if nz.size == 0:
        return 0, 0
    big, small = float(nz.max()), float(nz.min())
    acc_max = max_value(ACCUMULATION.get(dtype, dtype))
    f32 = np.finfo(np.float32)
    with np.errstate(divide="ignore", over="ignore"):
        hi = min(np.log2(0.5 * max_value(dtype) / big), np.log2(np.sqrt(acc_max / (4.0 * max(n, 1))) / big),
                 0.5 * np.log2(float(f32.max) / 4 / eps_reg))
        lo = max(np.log2(tiny(dtype) / small), 0.5 * np.log2(float(f32.tiny) * 4 / eps_reg))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return 0, 0
    lo_k, hi_k = int(np.ceil(lo)), int(np.floor(hi))
    return (lo_k, hi_k) if lo_k <= hi_k else (0, 0)


def draw_scale_exponent(draw, x: np.ndarray, eps_reg: float, n: int, dtype: str) -> int:
    from hypothesis import strategies as st

    lo, hi = scale_exponent_range(x, eps_reg, n, dtype)
    kind = draw(st.sampled_from(SCALE_KINDS), label="scale kind")
    if kind == "largest":
        return hi
    if kind == "smallest":
        return lo
    return int(np.clip(draw(st.integers(-8, 8), label="scale exponent"), lo, hi))
