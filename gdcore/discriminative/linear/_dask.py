"""Logistic models on a Dask collection: loss and gradient per partition, L-BFGS on the client.

The objective is a sum over rows, so each evaluation ships the coefficients
(n_out x (d + 1) numbers) to the workers, where every partition runs the
compiled loss-and-gradient pass of ``LogisticLoss`` on its rows; the
partitions' losses and gradients are added in a fixed tree and SciPy's
L-BFGS-B, on the client, takes its step.  That is the in-memory solver on
the in-memory objective, added in another order: the same iterates to
rounding, so the same fitted model (binary logit and multinomial softmax).

Before the first evaluation one pass finds the classes, and one more turns
each partition's labels and weights into class indices and row weights
(class weights applied), kept on the workers beside X (16 bytes a row).  X
is persisted on the workers for the fit when it fits in their memory
(``gdcore._dask_passes.BlockPasses``), and its blocks are held there by one
actor per worker (``gdcore._dask_resident``): an evaluation is one call to
each actor, which runs the kernel over its blocks, without the scheduler;
the coefficients travel once per worker, not per block.  A worker lost
mid-fit: the evaluations go on as tasks.  L-BFGS on the client holds BLAS
to one thread, as the in-memory fit does.

OrdinalLogisticRegression is fitted the same way (its compiled
``ordinal_loss_grad`` per partition, its own parametrization on the client).

Served: ``solver='lbfgs'`` with the l2 penalty or none.  Other solvers
(newton-cg needs Hessian products, fista the l1 proximal steps) and the
peer's solvers get a ValueError naming the remedy.  The check for linearly
separable classes that the in-memory fit warns about is not run (it would
take one more pass).
"""

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from gdcore import _dask
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_classification_targets, check_sample_weight, check_X
from gdcore.discriminative.linear import _linear, _ordinal
from gdcore.discriminative.linear._logistic_loss import LogisticLoss
from gdcore.discriminative.linear._logistic_solvers import lbfgs


def _class_index(y_part, classes):
    y = np.asarray(y_part)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    return np.searchsorted(classes, y).astype(np.intc)


def _class_counts(y_part, classes):
    return np.bincount(_class_index(y_part, classes), minlength=len(classes)).astype(float)


def _prepare(part, y_part, w_part, estimator, classes, class_weight):
    """(class indices, row weights) of one partition, X validated once."""
    X = check_X(estimator, part, reset=False)
    y_idx = _class_index(y_part, classes)
    if len(y_idx) != len(X):
        raise ValueError(f"y has {len(y_idx)} rows in a partition where X has {len(X)}: "
                         "partition y like X.")
    sw = check_sample_weight(None if w_part is None else np.asarray(w_part), X)
    return y_idx, sw * class_weight[y_idx]


def _weight_per_class(prepared, n_classes):
    y_idx, sw = prepared
    return np.bincount(y_idx, weights=sw, minlength=n_classes)


def _passes(X, y, sample_weight):
    """Return the fit's BlockPasses over X, y and sample_weight, and the classes of y."""
    X = _dask.as_row_collection(X)
    blocks = _dask.row_blocks(X)
    y_blocks = _dask.aligned_blocks(y, X, "y")
    w_blocks = (_dask.aligned_blocks(sample_weight, X, "sample_weight")
                or [None] * len(blocks))
    # Resident: every evaluation of the objective is one call to an actor per
    # worker, without the scheduler's two hops.
    passes = _dask.BlockPasses((X, y, sample_weight), _dask.nbytes(X), resident=True,
                               X=blocks, y=y_blocks, w=w_blocks)
    classes = passes.run(_dask.unique_labels, ("y",), np.union1d)
    check_classification_targets(classes)
    return passes, classes


def _prepare_all(estimator, passes, classes, class_weight):
    """Keep each partition's (class indices, row weights) on the workers; return the total weight.

    A total that is not positive (all weights zero) is a ValueError: the
    objective would be 0/0.
    """
    passes.keep("prepared", _prepare, ("X", "y", "w"), estimator, classes, class_weight)
    per_class = passes.run(_weight_per_class, ("prepared",), np.add, len(classes))
    if not per_class.sum() > 0:
        raise ValueError("The sample weights (times the class weights) sum to zero: there "
                         "is nothing to fit.")
    return per_class


def _loss_grad(part, prepared, W, b, n_out, dtype, n_jobs):
    X = np.ascontiguousarray(part, dtype=dtype)
    y_idx, sw = prepared
    loss = LogisticLoss(X, y_idx, sw, n_out, False, 0.0, effective_n_threads(n_jobs))
    with single_threaded_blas():
        value, gW, gb, _ = loss.data_loss_grad(W, b)
    return np.float64(value), gW, gb


class DaskLogisticLoss(LogisticLoss):
    """LogisticLoss whose data term is summed over the partitions of a Dask collection."""

    def __init__(self, passes, sw_sum, n_features, dtype, n_out, fit_intercept, alpha, n_jobs):
        self.passes, self.dtype, self.n_jobs = passes, dtype, n_jobs
        self.sw_sum = sw_sum
        self.n_out = n_out
        self.n_features = n_features
        self.fit_intercept = fit_intercept
        self.alpha = alpha
        self.sparse = False
        self._proba = self._proba_at = None

    def data_loss_grad(self, W, b, keep_proba=False):
        loss, gW, gb = self.passes.run(
            _loss_grad, ("X", "prepared"), _dask.add_arrays, np.ascontiguousarray(W),
            np.ascontiguousarray(b, dtype=np.float64), self.n_out, self.dtype, self.n_jobs)
        return float(loss), gW, gb, None

    def hessp(self, w, v):
        raise ValueError("Hessian products are not served on a Dask collection.")


@_dask.implements("LogisticRegression.fit")
def fit(estimator, X, y=None, sample_weight=None):
    """LogisticRegression.fit with L-BFGS on a Dask collection (see the module docstring)."""
    est = estimator
    est._validate_params()
    if est._fallback_reason(X, y, sample_weight=sample_weight) is not None or \
            est.solver != "lbfgs":
        raise ValueError(f"LogisticRegression on a Dask collection fits with "
                         f"solver='lbfgs' only (got solver={est.solver!r}, dual={est.dual}, "
                         f"intercept_scaling={est.intercept_scaling}): use solver='lbfgs', "
                         "or compute X into memory.")
    penalty = est._resolve_penalty()
    if y is None:
        raise ValueError("LogisticRegression requires y to be passed, but the target y "
                         "is None.")
    _dask.set_feature_metadata(est, X)
    passes, classes = _passes(X, y, sample_weight)
    est.classes_ = classes
    n_classes = len(classes)
    if n_classes < 2:
        raise ValueError("This solver needs samples of at least 2 classes in the data, "
                         f"but the data contains only one class: {classes[0]!r}")
    class_weight = np.ones(n_classes)
    if est.class_weight == "balanced":
        counts = passes.run(_class_counts, ("y",), np.add, classes)
        class_weight = counts.sum() / (n_classes * counts)
    elif est.class_weight is not None:
        class_weight = np.array([est.class_weight.get(c, 1.0) for c in classes], dtype=float)
    sw_sum = float(_prepare_all(est, passes, classes, class_weight).sum())
    alpha, _ = est._penalty_strengths(penalty, sw_sum)
    n_out = 1 if n_classes == 2 else n_classes
    dtype = _dask.float_dtype(X)
    loss = DaskLogisticLoss(passes, sw_sum, est.n_features_in_, dtype, n_out,
                            est.fit_intercept, alpha, est.n_jobs)
    w0 = est._start(loss)
    # One BLAS thread on the client, as in memory: L-BFGS-B's small BLAS
    # calls would otherwise wake OpenBLAS's threads, which then spin between
    # evaluations on the cores the workers' kernels run on (a LocalCluster's
    # case: `gdcore bench dask`, LogisticRegression binary fit).
    with single_threaded_blas():
        w, n_iter, converged = lbfgs(loss, w0, est.max_iter, est.tol, est.verbose)
    W, b = loss.unpack(w)
    est.coef_ = np.array(W, dtype=dtype)
    est.intercept_ = np.array(b, dtype=dtype)
    est.n_iter_ = np.array([n_iter], dtype=np.int32)
    if not converged:
        warnings.warn(f"lbfgs failed to converge after {n_iter} iteration(s) "
                      f"(tol={est.tol}). Increase the number of iterations "
                      f"(max_iter={est.max_iter}) or scale the data.",
                      ConvergenceWarning, stacklevel=3)
    return est


def _ordinal_loss_grad(part, prepared, beta, theta, dtype, n_jobs):
    X = np.ascontiguousarray(part, dtype=dtype)
    y_idx, sw = prepared
    gW, gt = np.empty((1, X.shape[1])), np.empty(len(theta))
    loss = _linear.ordinal_loss_grad(X, y_idx, sw, np.ascontiguousarray(beta, dtype=dtype),
                                     theta, gW, gt, effective_n_threads(n_jobs))
    return np.float64(loss), gW, gt


@_dask.implements("OrdinalLogisticRegression.fit")
def fit_ordinal(estimator, X, y=None, sample_weight=None):
    """OrdinalLogisticRegression.fit on a Dask collection: L-BFGS on the client.

    The objective and its parametrization are the in-memory fit's
    (``_ordinal``); each evaluation sums the compiled
    ``ordinal_loss_grad`` of every partition.
    """
    est = estimator
    est._check_params()
    if y is None:
        raise ValueError("OrdinalLogisticRegression requires y to be passed, but the target "
                         "y is None.")
    _dask.set_feature_metadata(est, X)
    passes, classes = _passes(X, y, sample_weight)
    est.classes_ = classes
    K = len(classes)
    if K < 2:
        raise ValueError(f"y has only one class, the level {classes[0]!r}; an ordinal "
                         "model needs at least two ordered levels.")
    per_class = _prepare_all(est, passes, classes, np.ones(K))
    S = float(per_class.sum())
    d, dtype = est.n_features_in_, _dask.float_dtype(X)

    def fun(w):
        beta, a = w[:d].reshape(1, d), w[d:]
        theta = _ordinal.thresholds_from_params(a)
        loss, gW, gt = passes.run(_ordinal_loss_grad, ("X", "prepared"), _dask.add_arrays,
                                  beta, theta, dtype, est.n_jobs)
        tail = np.cumsum(gt[::-1])[::-1]
        g_a = np.concatenate([tail[:1], np.exp(a[1:]) * tail[1:]])
        f = (loss + 0.5 * est.alpha * float(w[:d] @ w[:d])) / S
        return f, np.concatenate([(gW[0] + est.alpha * w[:d]) / S, g_a / S])

    # The in-memory start from the class totals alone (it is a weighted bincount).
    theta0 = est._start_thresholds(np.arange(K), per_class, K)
    w0 = np.concatenate([np.zeros(d), _ordinal._params_from_thresholds(theta0)])
    with single_threaded_blas():   # as in ``fit``: no OpenBLAS threads spinning
        res = minimize(fun, w0, method="L-BFGS-B", jac=True,
                       options={"maxiter": est.max_iter, "gtol": est.tol, "maxls": 50,
                                "ftol": 64 * np.finfo(float).eps})
    if res.status != 0:
        warnings.warn(f"L-BFGS did not converge ({res.message}) in {res.nit} "
                      "iterations; raise max_iter, scale the data, or set alpha > 0.",
                      ConvergenceWarning, stacklevel=3)
    est.coef_ = res.x[:d].copy()
    est.thresholds_ = _ordinal.thresholds_from_params(res.x[d:])
    est.n_iter_ = int(res.nit)
    return est


for _method, _n_out in (("predict_proba", lambda e: len(e.classes_)),
                        ("predict_cumulative_proba", lambda e: len(e.classes_)),
                        ("linear_predictor", lambda e: None)):
    _dask.implements(f"OrdinalLogisticRegression.{_method}")(
        _dask.rowwise(_method, _n_out, np.float64))
_dask.implements("OrdinalLogisticRegression.predict")(
    _dask.rowwise("predict", lambda e: None, lambda e: e.classes_.dtype))


def _n_scores(estimator):
    return None if len(estimator.classes_) == 2 else len(estimator.classes_)


for _method, _n_out, _dtype in (
        ("decision_function", _n_scores, lambda e: e.coef_.dtype),
        ("predict_proba", lambda e: len(e.classes_), lambda e: e.coef_.dtype),
        ("predict_log_proba", lambda e: len(e.classes_), lambda e: e.coef_.dtype),
        ("predict", lambda e: None, lambda e: e.classes_.dtype)):
    _dask.implements(f"LogisticRegression.{_method}")(_dask.rowwise(_method, _n_out, _dtype))
