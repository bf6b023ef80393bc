"""Optimizers for the logistic objective: SciPy's where it has them, FISTA where not.

- ``lbfgs``: SciPy's L-BFGS-B as scikit-learn runs it (gtol = tol on the
  largest gradient entry, maxls = 50, but see ftol below), one fused
  loss+gradient pass per call.
- ``newton-cg``: SciPy's trust-region Newton-CG (``trust-ncg``, Steihaug CG)
  with exact Hessian-vector products; each costs one more pass over X.
  The trust region, rather than scikit-learn's line search, is what keeps
  it safe on nearly separable data.
- ``fista`` for l1 / elastic-net: accelerated proximal gradient (Beck &
  Teboulle 2009) with backtracking on the step and the adaptive restart of
  O'Donoghue & Candes (2015); SciPy has no proximal method.  It stops when the
  distance of -grad f to the subdifferential of the l1 term (the optimality
  residual, 0 exactly at the minimum) is below tol everywhere.

Each returns (w, n_iter, converged).
"""

import time

import numpy as np
from scipy.optimize import minimize


def _progress(verbose, name, on_iteration=None):
    """Return SciPy's per-iteration callback, or None when there is nothing to do.

    It prints iteration, objective and time when verbose, and passes each new
    iterate to ``on_iteration`` (scikit-learn's fit callbacks) when given.
    """
    if not verbose and on_iteration is None:
        return None
    t0 = time.perf_counter()
    state = {"it": 0}

    def callback(intermediate_result):
        state["it"] += 1
        if verbose:
            print(f"[{name}] iter {state['it']:4d}  objective "
                  f"{intermediate_result.fun:.10g}  {time.perf_counter() - t0:.2f}s")
        if on_iteration is not None:
            on_iteration(intermediate_result.x)

    return callback


def _converged(res):
    """Success, or a stop at the floating-point floor rather than the iteration limit.

    Both SciPy methods give status 2 when no step can decrease f any more in
    double precision (a failed line search; a trust-region model that cannot
    predict a decrease).  With tol = 1e-10 that happened on wine without
    intercept at a gradient of 1.6e-10: a gradient below sqrt(eps) |f| there
    is the best double precision can do, not a failure.
    """
    if res.success:
        return True
    floor = np.sqrt(np.finfo(float).eps) * max(1.0, abs(float(res.fun)))
    return res.status == 2 and float(np.abs(res.jac).max()) <= floor


def lbfgs(loss, w0, max_iter, tol, verbose=0, on_iteration=None):
    res = minimize(
        loss.loss_grad, w0, method="L-BFGS-B", jac=True,
        callback=_progress(verbose, "lbfgs", on_iteration),
        # ftol = 0: stop on tol, or when the objective stops decreasing at all.
        # scikit-learn's ftol = 64 eps stopped digits at a gradient of 2e-9
        # whatever tol asked, 1e-5 away from the optimum in the coefficients.
        options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 0.0},
    )
    # SciPy counts one iteration even with maxiter=0 (scikit-learn clips it too)
    return res.x, min(int(res.nit), max_iter), _converged(res)


def newton_cg(loss, w0, max_iter, tol, verbose=0):
    if max_iter == 0:
        # SciPy's trust-ncg takes a step even with maxiter=0; scikit-learn's
        # newton-cg returns the starting point (its users inspect it).
        return w0, 0, False
    res = minimize(
        loss.loss_grad_keep, w0, method="trust-ncg", jac=True, hessp=loss.hessp,
        callback=_progress(verbose, "newton-cg"),
        options={"maxiter": max_iter, "gtol": tol},
    )
    return res.x, min(int(res.nit), max_iter), _converged(res)


def _soft_threshold(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def _l1_residual(w, g, l1):
    """Max over entries of dist(-g, l1 * subdifferential |w|); l1 is per entry."""
    r = np.where(w != 0.0, np.abs(g + l1 * np.sign(w)), np.maximum(np.abs(g) - l1, 0.0))
    return float(r.max()) if r.size else 0.0


def fista(loss, w0, l1, max_iter, tol, verbose=0):
    """Min f(w) + l1 * ||W||_1 (the intercept is not penalized).

    ``l1`` is a scalar; it applies to the coefficient entries of w only.
    """
    l1w = np.zeros_like(w0)
    l1w[: loss.n_out * loss.n_features] = l1
    t0 = time.perf_counter()
    x = w0.copy()
    f_x, g_x = loss.loss_grad(x)
    F_x = f_x + float(l1w @ np.abs(x))
    z, f_z, g_z, t = x, f_x, g_x, 1.0
    lip = 1.0  # a Lipschitz estimate of grad f; backtracking doubles it as needed
    for it in range(1, max_iter + 1):
        while True:
            x_new = _soft_threshold(z - g_z / lip, l1w / lip)
            f_new, g_new = loss.loss_grad(x_new)
            step = x_new - z
            if f_new <= f_z + g_z @ step + 0.5 * lip * (step @ step) + 1e-12 * abs(f_z):
                break
            lip *= 2.0
        F_new = f_new + float(l1w @ np.abs(x_new))
        if verbose:
            print(f"[fista] iter {it:4d}  objective {F_new:.10g}  "
                  f"{time.perf_counter() - t0:.2f}s")
        if _l1_residual(x_new, g_new, l1w) <= tol:
            return x_new, it, True
        if F_new > F_x and t > 1.0:
            # Momentum overshot: restart from the last point.  A plain proximal
            # step (t = 1) is not refused: near the minimum F_new > F_x is only
            # rounding, and refusing it stalled iris at residual 1e-8.
            t, z, f_z, g_z = 1.0, x, f_x, g_x
            continue
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        z = x_new + ((t - 1.0) / t_new) * (x_new - x)
        x, f_x, g_x, F_x, t = x_new, f_new, g_new, F_new, t_new
        f_z, g_z = loss.loss_grad(z)
        lip *= 0.9  # let the step grow back where the curvature is lower
    return x, max_iter, False


SOLVERS = {"lbfgs": lbfgs, "newton-cg": newton_cg}
