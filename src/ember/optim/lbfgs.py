"""L-BFGS with a fixed step or a strong-Wolfe line search, as ``torch.optim.LBFGS``."""

from __future__ import annotations

import numpy as np

from ember.autograd.grad_mode import enable_grad, no_grad
from ember.optim.optimizer import Optimizer, _bump_version, _check_hyperparameters, _scalar

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through two points with values and slopes, clipped to bounds.

    Args:
        x1, f1, g1: first abscissa, function value and derivative there.
        x2, f2, g2: the same at the second abscissa.
        bounds: ``(low, high)`` interval for the result (default: between ``x1`` and ``x2``).

    Returns:
        The clipped minimizer, or the middle of the bounds when the cubic has no minimum.
    """
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = np.sqrt(d2_square)
    # the formula is written from the farther point so that it stays well conditioned
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, low), high)


def _strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search along ``d`` for a step satisfying the strong Wolfe conditions.

    A bracketing phase grows the step (by cubic extrapolation, at most tenfold) until an
    interval is known to hold an acceptable step; a zoom phase then shrinks that interval by
    cubic interpolation, nudging trials that land near an end back to a tenth of its width.
    At most ``max_ls`` evaluations follow the first one.

    Args:
        obj_func: ``obj_func(t)`` returns the loss and the flat gradient at ``x + t d``.
        t: first trial step.
        d: search direction (flat array).
        f: loss at ``t = 0``.
        g: flat gradient at ``t = 0``.
        gtd: directional derivative ``g.d`` at ``t = 0`` (negative).
        c1: sufficient-decrease constant (Armijo).
        c2: curvature constant.
        tolerance_change: the search stops when the bracket's length along ``d`` is smaller.
        max_ls: iteration budget of the search.

    Returns:
        ``(loss, flat_grad, t, evaluations)`` at the accepted step.
    """
    d_norm = np.abs(d).max()
    f_new, g_new = obj_func(t)
    evals = 1
    gtd_new = g_new.dot(d)

    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        armijo_fails = f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev)
        if not armijo_fails and abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g, bracket_gtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if armijo_fails or gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # extrapolate: at least 1% beyond t, at most ten times t
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                          bounds=(t + 0.01 * (t - t_prev), t * 10))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g, bracket_gtd = [0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    insuf_progress = False
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        lo_t, hi_t = min(bracket), max(bracket)
        eps = 0.1 * (hi_t - lo_t)
        if min(hi_t - t, t - lo_t) < eps:
            # near an end: move a tenth of the bracket inside if this happens twice in a row
            # or if t is on (or beyond) the end
            if insuf_progress or t >= hi_t or t <= lo_t:
                t = hi_t - eps if abs(t - hi_t) < abs(t - lo_t) else lo_t + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = (
                t, f_new, g_new, gtd_new)
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = (
                t, f_new, g_new, gtd_new)

    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """Limited-memory BFGS, as ``torch.optim.LBFGS``.

    One ``step(closure)`` runs up to ``max_iter`` iterations. Each iteration turns the flat
    gradient ``g`` into a direction ``d = -H g`` by the two-loop recursion over the last
    ``history_size`` pairs ``(s, y)`` of steps and gradient changes (pairs with ``y.s <= 1e-10``
    are skipped; the initial Hessian is ``(y.s / y.y) I``), then moves the parameters by
    ``t * d``. Without line search ``t = lr`` (``min(1, 1 / |g|_1) * lr`` on the very first
    iteration) and ``closure`` is re-evaluated there; with ``line_search_fn='strong_wolfe'``
    that ``t`` is only the first trial of a strong-Wolfe search (``c1 = 1e-4``, ``c2 = 0.9``)
    whose evaluations count towards ``max_eval``. The state is kept between calls, so later
    steps continue the same history. All parameters are optimized as one flat vector; there is
    one parameter group.

    Args:
        params: the parameters (a single group).
        lr: step length (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this (default 1e-7).
        tolerance_change: stop when the loss or the step changes less (default 1e-9).
        history_size: pairs kept for the recursion (default 100).
        line_search_fn: ``None`` (fixed step) or ``'strong_wolfe'``.

    Example:
        >>> w = ember.tensor([1.5, -0.5], requires_grad=True)
        >>> opt = ember.optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2  # Rosenbrock
        ...     loss.backward()
        ...     return loss
        >>> for _ in range(3):
        ...     loss = opt.step(closure)
        >>> w  # the minimum is at (1, 1)
        tensor([1.0000, 1.0000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        _check_hyperparameters(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups)"
            )
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self) -> np.ndarray:
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(np.zeros(p._data.size, p._data.dtype))
            else:
                grad = p.grad.to_dense() if getattr(p.grad, "is_sparse", False) else p.grad
                parts.append(grad._data.reshape(-1))
        return np.concatenate(parts)

    def _add(self, t: float, direction: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data[...] = self._add_scaled(p._data.reshape(-1), t,
                                            direction[offset:offset + n]).reshape(p._data.shape)
            _bump_version(p)
            offset += n

    def _directional_evaluate(self, closure, t: float, d: np.ndarray):
        """Loss and flat gradient at ``x + t d``; the parameters are put back to ``x`` after."""
        saved = [p._data.copy() for p in self._params]
        with no_grad():
            self._add(t, d)
        with enable_grad():
            loss = float(closure())
        with no_grad():
            flat_grad = self._flat_grad()
        for p, data in zip(self._params, saved, strict=True):
            p._data[...] = data
            _bump_version(p)
        return loss, flat_grad

    def _add_scaled(self, y: np.ndarray, alpha, x: np.ndarray) -> np.ndarray:
        """``y + alpha * x`` for flat arrays, rounded once per entry as torch's ``add(alpha=)``.

        Torch evaluates ``y.add(x, alpha=alpha)`` as a fused multiply-add; rounding the product
        separately drifts from its L-BFGS trajectories by an ulp per update, which
        ill-conditioned problems amplify.
        """
        if y.dtype not in (np.float32, np.float64):
            return y + alpha * x
        return self._kernels.add_scaled(y, alpha, x)

    def _direction(self, state: dict, flat_grad: np.ndarray, prev_flat_grad: np.ndarray,
                   d: np.ndarray, t: float, history_size: int) -> np.ndarray:
        """The next direction ``-H g``, after adding the last step's pair ``(s, y)`` (if its
        curvature ``y.s`` is above 1e-10) to the history kept in ``state``; ``-g`` first."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return -flat_grad
        old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
        y = flat_grad - prev_flat_grad
        s = d * t
        ys = y.dot(s)
        if ys > 1e-10:
            if len(old_dirs) == history_size:
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            state["H_diag"] = ys / y.dot(y)
        # two-loop recursion: q = -g through the history, newest pair first
        al = state.setdefault("al", [None] * history_size)
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q = self._add_scaled(q, -al[i], old_dirs[i])
        r = q * state["H_diag"]
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r = self._add_scaled(r, al[i] - be_i, old_stps[i])
        return r

    def _evaluate(self, closure) -> tuple[float, np.ndarray]:
        """The loss from ``closure`` and the flat gradient it leaves."""
        with enable_grad():
            loss = float(closure())
        with no_grad():
            return loss, self._flat_grad()

    def _move(self, closure, group: dict, t: float, d: np.ndarray, loss: float,
              flat_grad: np.ndarray, gtd: float, evals_left: int, evaluate: bool):
        """Moves the parameters along ``d``: by ``t``, or by the step a strong-Wolfe search
        starting at ``t`` accepts.

        Returns:
            ``(loss, flat_grad, t, evaluations)`` at the new point; without line search the
            closure is evaluated there only when ``evaluate`` (else the inputs come back).
        """
        line_search_fn = group["line_search_fn"]
        if line_search_fn is None:
            with no_grad():
                self._add(t, d)
            if not evaluate:
                return loss, flat_grad, t, 0
            return (*self._evaluate(closure), t, 1)
        if line_search_fn != "strong_wolfe":
            raise RuntimeError("only 'strong_wolfe' is supported")
        loss, flat_grad, t, evals = _strong_wolfe(
            lambda t_: self._directional_evaluate(closure, t_, d), t, d, loss, flat_grad, gtd,
            max_ls=evals_left)
        with no_grad():
            self._add(t, d)
        return loss, flat_grad, t, evals

    def step(self, closure):
        """Runs up to ``max_iter`` L-BFGS iterations.

        Args:
            closure: re-evaluates the model (zeroing and recomputing gradients) and returns
                the loss; required.

        Returns:
            The loss of the first closure evaluation.
        """
        if closure is None:
            raise RuntimeError("LBFGS requires a closure")
        group = self.param_groups[0]
        lr, max_iter, max_eval = _scalar(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        with no_grad():
            flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            d = self._direction(state, flat_grad, prev_flat_grad, d, t, group["history_size"])
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            loss, flat_grad, t, evals = self._move(closure, group, t, d, loss, flat_grad, gtd,
                                                   max_eval - current_evals, n_iter != max_iter)
            current_evals += evals
            state["func_evals"] += evals
            if (n_iter == max_iter or current_evals >= max_eval
                    or np.abs(flat_grad).max() <= tolerance_grad  # optimal
                    or np.abs(d * t).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break

        state.update(d=d, t=t, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
