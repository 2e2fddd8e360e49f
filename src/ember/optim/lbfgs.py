"""L-BFGS (without line search, or with a fixed step), as ``torch.optim.LBFGS``."""

from __future__ import annotations

import numpy as np

from ember.autograd.grad_mode import enable_grad, no_grad
from ember.optim.optimizer import Optimizer, _bump_version, _scalar

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """Limited-memory BFGS, as ``torch.optim.LBFGS``.

    One ``step(closure)`` runs up to ``max_iter`` iterations. Each iteration turns the flat
    gradient ``g`` into a direction ``d = -H g`` by the two-loop recursion over the last
    ``history_size`` pairs ``(s, y)`` of steps and gradient changes (pairs with ``y.s <= 1e-10``
    are skipped; the initial Hessian is ``(y.s / y.y) I``), then moves the parameters by
    ``t * d`` with ``t = lr`` (``min(1, 1 / |g|_1) * lr`` on the very first iteration) and
    re-evaluates ``closure``. The state is kept between calls, so later steps continue the
    same history. All parameters are optimized as one flat vector; there is one parameter group.

    Args:
        params: the parameters (a single group).
        lr: step length (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this (default 1e-7).
        tolerance_change: stop when the loss or the step changes less (default 1e-9).
        history_size: pairs kept for the recursion (default 100).
        line_search_fn: ``None``; ``'strong_wolfe'`` is not implemented in Ember.

    Example:
        >>> opt = ember.optim.LBFGS(model.parameters(), lr=0.8)
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = criterion(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
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
        if line_search_fn is not None:
            if line_search_fn != "strong_wolfe":
                raise RuntimeError("only 'strong_wolfe' is supported")
            raise NotImplementedError("LBFGS(line_search_fn='strong_wolfe') is not implemented "
                                      "in Ember; use line_search_fn=None")
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
            p._data += (t * direction[offset:offset + n]).reshape(p._data.shape)
            _bump_version(p)
            offset += n

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
        history_size = group["history_size"]
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
        old_dirs, old_stps = state.get("old_dirs"), state.get("old_stps")
        ro, h_diag = state.get("ro"), state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
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
                    h_diag = ys / y.dot(y)
                # two-loop recursion: q = -g through the history, newest pair first
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = r = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            with no_grad():
                self._add(t, d)
            opt_cond = False
            if n_iter != max_iter:
                with enable_grad():
                    loss = float(closure())
                with no_grad():
                    flat_grad = self._flat_grad()
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
