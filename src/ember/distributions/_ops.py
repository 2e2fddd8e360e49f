"""Private ops the distributions need and Ember does not have yet.

Special functions (on ``scipy.special``), two linear-algebra ops on stacks of matrices, and
the samplers of the gamma, Poisson and binomial laws written on Ember's generators. They are
candidates for ``ember.special`` / ``ember.linalg``; until then only this package uses them.
"""

from __future__ import annotations

import numpy as np

from ember.autograd.function import ArrayFunction
from ember.ops._util import reduce_grad
from ember.random import normal_array, uniform_array
from ember.tensor import Tensor


class _LazySpecial:
    """``scipy.special``, imported on first use (it would add ~0.8 s to ``import ember``)."""

    def __getattr__(self, name):
        from scipy import special as module

        return getattr(module, name)


special = _LazySpecial()

__all__ = [
    "binomial_sample",
    "cholesky",
    "digamma",
    "dirichlet_grad",
    "erfinv",
    "gammainc",
    "lgamma",
    "poisson_sample",
    "polygamma",
    "sample_dirichlet",
    "solve_triangular",
    "standard_gamma",
    "standard_gamma_grad",
    "xlogy",
]


# -- special functions ------------------------------------------------------------------------

class Lgamma(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return special.gammaln(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * special.digamma(x)


class Polygamma(ArrayFunction):
    """``polygamma(n, x)``; ``n = 0`` is the digamma function."""

    @staticmethod
    def forward(ctx, x, n=0):
        ctx.save_for_backward(x)
        ctx.n = n
        return special.digamma(x) if n == 0 else special.polygamma(n, x).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * special.polygamma(ctx.n + 1, x).astype(x.dtype)


class Erfinv(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = special.erfinv(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # d erfinv(x) / dx = sqrt(pi) / 2 * exp(erfinv(x)^2)
        return grad * (0.5 * np.sqrt(np.pi) * np.exp(out * out)).astype(out.dtype)


class Xlogy(ArrayFunction):
    """``x * log(y)``, and 0 where ``x == 0`` (whatever ``y``), as ``torch.xlogy``."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        out = special.xlogy(x, y)
        return np.where(np.isnan(y), np.nan, out).astype(np.result_type(x, y))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            # log(y), except where x = 0 and y <= 0 (PyTorch's choice there: 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                gx = np.where((x == 0) & (y <= 0), 0.0, grad * np.log(y))
            gx = reduce_grad(gx, x.shape, x.dtype)
        if ctx.needs_input_grad[1]:
            gy = reduce_grad(grad * x / y, y.shape, y.dtype)
        return gx, gy


class Gammainc(ArrayFunction):
    """The regularised lower incomplete gamma function ``P(a, x)`` (``torch.special.gammainc``).

    Like PyTorch, only ``x`` has a derivative (the Gamma(a, 1) density).
    """

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return special.gammainc(a, x).astype(np.result_type(a, x))

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise RuntimeError("the derivative for 'input' is not implemented.")
        with np.errstate(divide="ignore"):
            pdf = np.exp(special.xlogy(a - 1, x) - x - special.gammaln(a))
        return None, reduce_grad(grad * pdf, x.shape, x.dtype)


def lgamma(x: Tensor) -> Tensor:
    """``log |Gamma(x)|`` elementwise, differentiable (``torch.lgamma``)."""
    return Lgamma.apply(x)


def digamma(x: Tensor) -> Tensor:
    """The digamma function ``d/dx log Gamma(x)`` (``torch.digamma``)."""
    return Polygamma.apply(x, n=0)


def polygamma(n: int, x: Tensor) -> Tensor:
    """The ``n``-th derivative of the digamma function (``torch.polygamma``)."""
    return Polygamma.apply(x, n=int(n))


def erfinv(x: Tensor) -> Tensor:
    """The inverse error function (``torch.erfinv``)."""
    return Erfinv.apply(x)


def xlogy(x: Tensor, y: Tensor) -> Tensor:
    """``x * log(y)`` with 0 where ``x == 0`` (``torch.xlogy``); both must be tensors."""
    return Xlogy.apply(x, y)


# -- linear algebra on stacks of matrices ----------------------------------------------------

def _mT(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


class Cholesky(ArrayFunction):
    @staticmethod
    def forward(ctx, a):
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                "linalg.cholesky: The factorization could not be completed because the input "
                "is not positive-definite."
            ) from None
        ctx.save_for_backward(low)
        return low

    @staticmethod
    def backward(ctx, grad):
        (low,) = ctx.saved_tensors
        # A = L L^T: with P = Phi(L^T G) (lower triangle, diagonal halved),
        # dA = sym(L^-T P L^-1), sym(X) = (X + X^T) / 2.
        p = np.tril(_mT(low) @ grad)
        p -= 0.5 * np.tril(np.triu(p))
        eye = np.broadcast_to(np.eye(low.shape[-1], dtype=low.dtype), low.shape)
        low_inv = np.linalg.solve(low, eye)
        s = _mT(low_inv) @ p @ low_inv
        return 0.5 * (s + _mT(s))


class SolveTriangular(ArrayFunction):
    """``X = A^-1 B`` for a triangular ``A`` (only its triangle is read); batch dims broadcast."""

    @staticmethod
    def forward(ctx, a, b, upper=False):
        tri = np.triu(a) if upper else np.tril(a)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        tri_b = np.broadcast_to(tri, batch + a.shape[-2:])
        x = np.linalg.solve(tri_b, np.broadcast_to(b, batch + b.shape[-2:]))
        ctx.save_for_backward(tri_b, x)
        ctx.shapes = (a.shape, a.dtype, b.shape, b.dtype)
        ctx.upper = upper
        return x

    @staticmethod
    def backward(ctx, grad):
        tri, x = ctx.saved_tensors
        a_shape, a_dtype, b_shape, b_dtype = ctx.shapes
        gb = np.linalg.solve(_mT(tri), grad)  # B's cotangent is A^-T G
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -gb @ _mT(x)
            ga = np.triu(ga) if ctx.upper else np.tril(ga)
            ga = reduce_grad(ga, a_shape, a_dtype)
        return ga, reduce_grad(gb, b_shape, b_dtype) if ctx.needs_input_grad[1] else None


def gammainc(a: Tensor, x: Tensor) -> Tensor:
    """The regularised lower incomplete gamma function (differentiable in ``x`` only)."""
    return Gammainc.apply(a, x)


def cholesky(a: Tensor) -> Tensor:
    """The lower Cholesky factor of symmetric positive-definite matrices (``linalg.cholesky``)."""
    return Cholesky.apply(a)


def solve_triangular(a: Tensor, b: Tensor, *, upper: bool) -> Tensor:
    """Solves ``A X = B`` for triangular ``A`` (``torch.linalg.solve_triangular``, left=True)."""
    return SolveTriangular.apply(a, b, upper=upper)


# -- samplers -----------------------------------------------------------------------------

def _gamma_ge1(alpha: np.ndarray, generator) -> np.ndarray:
    """Marsaglia-Tsang (2000) for ``alpha >= 1`` (a flat array): rounds of vectorised rejection.

    Each round draws one normal and one uniform per pending element from the generator, so
    the result depends only on the generator's state.
    """
    d = alpha - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.empty_like(alpha)
    pending = np.arange(alpha.size)
    while pending.size:
        x = normal_array((pending.size,), np.float64, generator=generator)
        u = uniform_array((pending.size,), np.float64, generator=generator)
        dp, cp = d[pending], c[pending]
        v = (1.0 + cp * x) ** 3
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (v > 0) & (np.log(u) < 0.5 * x * x + dp - dp * v + dp * np.log(v))
        out[pending[ok]] = dp[ok] * v[ok]
        pending = pending[~ok]
    return out


def standard_gamma_array(alpha: np.ndarray, generator=None) -> np.ndarray:
    """Gamma(alpha, 1) samples (float64) for an array of concentrations ``alpha > 0``.

    ``alpha < 1`` uses the boost ``Gamma(alpha) = Gamma(alpha + 1) * U^(1 / alpha)``; results
    that underflow are raised to the smallest normal number, as PyTorch does.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    flat = alpha.reshape(-1)
    small = flat < 1.0
    out = _gamma_ge1(np.where(small, flat + 1.0, flat), generator)
    if small.any():
        u = uniform_array((int(small.sum()),), np.float64, generator=generator)
        out[small] *= np.exp(np.log1p(-u) / flat[small])  # 1 - u is in (0, 1]
    out = np.maximum(out, np.finfo(np.float64).tiny)
    return out.reshape(alpha.shape)


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``d x / d alpha`` of a Gamma(alpha, 1) sample ``x`` held at a fixed CDF level.

    Implicit differentiation of ``F(x; alpha) = u``: ``dx/dalpha = -(dF/dalpha) / (dF/dx)``,
    with ``dF/dx`` the density and ``dF/dalpha`` by a five-point central difference (step
    ``1e-3 alpha``, truncation error ``O(h^4)``). Above the median the upper tail ``Q = 1 - F``
    is differentiated instead, which keeps its digits where ``F`` is close to 1.
    """
    a = np.asarray(alpha, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    a, x = np.broadcast_arrays(a, x)
    upper = special.gammainc(a, x) > 0.5
    h = 1e-3 * a

    def level(s):
        return np.where(upper, -special.gammaincc(s, x), special.gammainc(s, x))

    dfda = _five_point(level, a, h)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_pdf = (a - 1) * np.log(x) - x - special.gammaln(a)
        grad = -dfda / np.exp(log_pdf)
    return np.where(np.isfinite(grad), grad, 0.0)


class StandardGamma(ArrayFunction):
    """Gamma(alpha, 1) samples with implicit reparameterisation gradients."""

    @staticmethod
    def forward(ctx, alpha, generator=None):
        x = standard_gamma_array(alpha, generator).astype(alpha.dtype)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        return (grad * standard_gamma_grad(alpha, x)).astype(alpha.dtype)


def standard_gamma(alpha: Tensor, generator=None) -> Tensor:
    """Gamma(alpha, 1) samples shaped like ``alpha``, differentiable w.r.t. ``alpha``."""
    return StandardGamma.apply(alpha, generator=generator)


def _five_point(fn, s: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``d fn / d s`` by the five-point central difference (error ``O(h^4)``)."""
    return (fn(s - 2 * h) - 8 * fn(s - h) + 8 * fn(s + h) - fn(s + 2 * h)) / (12 * h)


def dirichlet_grad(x: np.ndarray, alpha: np.ndarray, total: np.ndarray) -> np.ndarray:
    """PyTorch's ``_dirichlet_grad``: the Dirichlet's implicit reparameterisation factor.

    Each coordinate ``x_i`` of a Dirichlet draw is Beta(alpha_i, b_i) distributed with
    ``b_i = total - alpha_i``. Implicit differentiation of that marginal CDF
    ``I_x(alpha, b) = u`` with ``b`` held fixed gives ``dx/dalpha = -(dI/dalpha) / (dI/dx)``;
    the factor returned is that derivative divided by ``1 - x``, which the backward of
    :class:`DirichletSample` spreads over the simplex.
    """
    x, a, t = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (x, alpha, total)))
    b = t - a
    upper = special.betainc(a, b, x) > 0.5
    h = 1e-3 * a

    def level(s):
        return np.where(upper, -special.betaincc(s, b, x), special.betainc(s, b, x))

    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        dfda = _five_point(level, a, h)
        log_pdf = special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b)
        grad = -dfda / np.exp(log_pdf) / (1 - x)
    return np.where(np.isfinite(grad), grad, 0.0)


class DirichletSample(ArrayFunction):
    """Dirichlet samples (normalised gammas) with PyTorch's implicit reparameterisation."""

    @staticmethod
    def forward(ctx, concentration, generator=None):
        g = standard_gamma_array(concentration, generator)
        x = g / g.sum(-1, keepdims=True)
        tiny = np.finfo(concentration.dtype).tiny
        x = np.clip(x, tiny, 1 - np.finfo(concentration.dtype).eps).astype(concentration.dtype)
        ctx.save_for_backward(concentration, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        alpha, x = ctx.saved_tensors
        total = np.broadcast_to(alpha.sum(-1, keepdims=True), alpha.shape)
        dx = dirichlet_grad(x, alpha, total)
        # the velocity of x when alpha_i moves is dx_i (e_i - x): it stays on the simplex,
        # and its coordinate i is the marginal's implicit derivative dx_i (1 - x_i)
        return (dx * (grad - (x * grad).sum(-1, keepdims=True))).astype(alpha.dtype)


def sample_dirichlet(concentration: Tensor, generator=None) -> Tensor:
    """Dirichlet samples for concentrations on the last dim, differentiable w.r.t. them."""
    return DirichletSample.apply(concentration, generator=generator)


def _poisson_inversion(lam: np.ndarray, generator) -> np.ndarray:
    """Sequential search of the CDF, one uniform per sample (for small rates)."""
    u = uniform_array(lam.shape, np.float64, generator=generator)
    k = np.zeros(lam.shape)
    p = np.exp(-lam)
    cdf = p.copy()
    active = u > cdf
    while active.any():
        k[active] += 1
        p = np.where(active, p * lam / np.maximum(k, 1), p)
        cdf = np.where(active, cdf + p, cdf)
        active &= (u > cdf) & (p > 0)
    return k


def _transformed_rejection(count: int, trial, generator) -> np.ndarray:
    """The loop of Hoermann's transformed rejection samplers (PTRS, BTRS): every pending draw
    takes a uniform ``u`` on ``[-1/2, 1/2)`` and a uniform ``v`` on ``[0, 1)``; ``trial(pending,
    u, v, 1/2 - |u|)`` returns the candidates ``k`` and which are accepted; the rest try again.
    """
    out = np.empty(count)
    pending = np.arange(count)
    while pending.size:
        size = pending.size
        u = uniform_array((size,), np.float64, generator=generator) - 0.5
        v = uniform_array((size,), np.float64, generator=generator)
        with np.errstate(divide="ignore", invalid="ignore"):
            k, ok = trial(pending, u, v, 0.5 - np.abs(u))
        out[pending[ok]] = k[ok]
        pending = pending[~ok]
    return out


def _poisson_ptrs(lam: np.ndarray, generator) -> np.ndarray:
    """Hoermann's (1993) transformed rejection with squeeze (PTRS), for rates >= 10."""
    slam, loglam = np.sqrt(lam), np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def trial(pending, u, v, us):
        lp, ap, bp = lam[pending], a[pending], b[pending]
        k = np.floor((2 * ap / us + bp) * u + lp + 0.43)
        quick = (us >= 0.07) & (v <= v_r[pending])
        bad = (k < 0) | ((us < 0.013) & (v > us))
        bound = -lp + k * loglam[pending] - special.gammaln(k + 1)
        full = np.log(v) + np.log(inv_alpha[pending]) - np.log(ap / (us * us) + bp) <= bound
        return k, quick | (~bad & full)

    return _transformed_rejection(lam.size, trial, generator)


def poisson_sample(rate: np.ndarray, generator=None) -> np.ndarray:
    """Poisson samples (float64) for an array of rates (inversion below 10, PTRS above)."""
    lam = np.asarray(rate, dtype=np.float64).reshape(-1)
    out = np.zeros_like(lam)
    small = lam < 10
    if small.any():
        out[small] = _poisson_inversion(lam[small], generator)
    if (~small).any():
        out[~small] = _poisson_ptrs(lam[~small], generator)
    return out.reshape(np.shape(rate))


def _binomial_inversion(n: np.ndarray, p: np.ndarray, generator) -> np.ndarray:
    """Sequential search of the CDF for ``n p < 10`` (``p <= 1/2``)."""
    u = uniform_array(n.shape, np.float64, generator=generator)
    q = 1 - p
    pk = np.exp(n * np.log1p(-p))
    cdf = pk.copy()
    k = np.zeros_like(n)
    active = (u > cdf) & (k < n)
    ratio = p / q
    while active.any():
        pk = np.where(active, pk * (n - k) / (k + 1) * ratio, pk)
        k[active] += 1
        cdf = np.where(active, cdf + pk, cdf)
        active &= (u > cdf) & (k < n)
    return k


def _binomial_btrs(n: np.ndarray, p: np.ndarray, generator) -> np.ndarray:
    """Hoermann's (1993) BTRS transformed rejection, for ``n p >= 10`` (``p <= 1/2``)."""
    q = 1 - p
    spq = np.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = np.log(p / q)
    m = np.floor((n + 1) * p)
    h = special.gammaln(m + 1) + special.gammaln(n - m + 1)

    def trial(pending, u, v, us):
        ap, bp, np_ = a[pending], b[pending], n[pending]
        k = np.floor((2 * ap / us + bp) * u + c[pending])
        inside = (k >= 0) & (k <= np_)
        quick = inside & (us >= 0.07) & (v <= v_r[pending])
        lv = np.log(v * alpha[pending] / (ap / (us * us) + bp))
        bound = (h[pending] - special.gammaln(k + 1) - special.gammaln(np_ - k + 1)
                 + (k - m[pending]) * lpq[pending])
        return k, quick | (inside & (lv <= bound))

    return _transformed_rejection(n.size, trial, generator)


def binomial_sample(total_count: np.ndarray, probs: np.ndarray, generator=None) -> np.ndarray:
    """Binomial samples (float64) for broadcast arrays of counts and probabilities."""
    n, p = np.broadcast_arrays(np.asarray(total_count, np.float64), np.asarray(probs, np.float64))
    shape = n.shape
    n, p = n.reshape(-1).copy(), p.reshape(-1).copy()
    flip = p > 0.5
    p[flip] = 1 - p[flip]
    out = np.zeros_like(n)
    live = (n > 0) & (p > 0)
    small = live & (n * p < 10)
    big = live & ~small
    if small.any():
        out[small] = _binomial_inversion(n[small], p[small], generator)
    if big.any():
        out[big] = _binomial_btrs(n[big], p[big], generator)
    out[flip] = n[flip] - out[flip]
    return out.reshape(shape)
