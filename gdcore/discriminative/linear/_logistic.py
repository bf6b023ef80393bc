"""LogisticRegression: binary and multinomial (softmax), scikit-learn's API.

The fit minimizes scikit-learn's objective, scaled the same way so that
objective values compare one to one:

    sum_i s_i loss_i / S + (1 - r) / (2 C S) ||W||^2 + r / (C S) ||W||_1

with s_i the sample weights times the class weights, S their sum, and
r = ``l1_ratio`` (0 for ``l2``, 1 for ``l1``).  Two classes use one score per
row (the log-odds of ``classes_[1]``); three or more use the softmax with one
score per class, as scikit-learn does.  The loss and gradient come from one
compiled pass over X (``gdcore.discriminative.linear._linear``); see
``logistic_solvers`` for the optimizers.
"""

import numbers
import warnings

import numpy as np
from scipy.special import expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted

from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_classification_targets, check_sample_weight, check_X, check_X_y
from gdcore.discriminative.linear._logistic_loss import LogisticLoss
from gdcore.discriminative.linear._logistic_solvers import SOLVERS, fista

_PENALTIES = ("l2", "l1", "elasticnet", None)


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression (binary logit or multinomial softmax) on compiled kernels.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        The penalty on the coefficients (never on the intercept).
    tol : float, default=1e-4
        Stop when the largest entry of the objective's gradient (for l1 and
        elastic-net: of its optimality residual) is below ``tol``.
    C : float, default=1.0
        Inverse regularization strength, > 0; ``np.inf`` means no penalty.
    fit_intercept : bool, default=True
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each row's sample weight by its class's weight.
    random_state : None
        Accepted so that scikit-learn code runs unchanged; every solver here is
        deterministic, so it is not used.
    solver : {'lbfgs', 'newton-cg', 'fista'}, default='lbfgs'
        ``lbfgs`` and ``newton-cg`` (trust-region Newton-CG with exact
        Hessian-vector products) handle 'l2' and None; ``fista`` (accelerated
        proximal gradient) handles every penalty and is the one for 'l1' and
        'elasticnet', which scikit-learn fits with 'saga' or 'liblinear'.
    max_iter : int, default=100
    verbose : int, default=0
        Print iteration, objective and time when positive.
    warm_start : bool, default=False
        Start from the previous fit's coefficients when the shapes match.
    n_jobs : int or None, default=None
        OpenMP threads for the loss pass (None: OpenMP's default; -1: all cores).
    l1_ratio : float in [0, 1] or None, default=None
        The l1 share of the elastic-net penalty (required for 'elasticnet').

    Attributes
    ----------
    classes_ : (n_classes,) array
    coef_ : (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : (1,) or (n_classes,)
    n_iter_ : (1,) int array, iterations of the solver
    n_features_in_ : int
    """

    def __init__(self, penalty="l2", *, tol=1e-4, C=1.0, fit_intercept=True,
                 class_weight=None, random_state=None, solver="lbfgs",
                 max_iter=100, verbose=0, warm_start=False, n_jobs=None,
                 l1_ratio=None):
        self.penalty = penalty
        self.tol = tol
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.l1_ratio = l1_ratio

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ checks
    def _penalty_strengths(self, sw_sum):
        """(alpha_l2, alpha_l1) of the scaled objective, after checking the parameters."""
        if self.penalty not in _PENALTIES:
            raise ValueError(f"penalty must be one of {_PENALTIES}, got {self.penalty!r}.")
        C = self.C
        if not isinstance(C, numbers.Real) or isinstance(C, bool) or not C > 0:
            raise ValueError(f"C must be a positive number (np.inf: no penalty), got {C!r}.")
        solvers = (*SOLVERS, "fista")
        if self.solver not in solvers:
            hint = (" gdcore's solver for l1 and elastic-net is 'fista'."
                    if self.solver in ("saga", "liblinear", "sag") else "")
            raise ValueError(f"solver must be one of {solvers}, got {self.solver!r}.{hint}")
        if self.penalty in ("l1", "elasticnet") and self.solver != "fista":
            raise ValueError(f"penalty={self.penalty!r} needs solver='fista'; "
                             f"{self.solver!r} handles only 'l2' and None.")
        r = self.l1_ratio
        if r is not None and (not isinstance(r, numbers.Real) or isinstance(r, bool)
                              or not 0 <= r <= 1):
            raise ValueError(f"l1_ratio must be None or a number in [0, 1]; got {r!r}.")
        r = {"l2": 0.0, "l1": 1.0, None: 0.0}.get(self.penalty)
        if self.penalty == "elasticnet":
            r = self.l1_ratio
            if not isinstance(r, numbers.Real) or isinstance(r, bool) or not 0 <= r <= 1:
                raise ValueError("penalty='elasticnet' needs l1_ratio, a number in "
                                 f"[0, 1]; got {r!r}.")
        for name, low in (("max_iter", 1), ("tol", 0)):
            v = getattr(self, name)
            if not isinstance(v, numbers.Real) or isinstance(v, bool) or not v >= low:
                raise ValueError(f"{name} must be a number >= {low}, got {v!r}.")
        if self.penalty is None or np.isinf(C):
            return 0.0, 0.0
        scale = 1.0 / (C * sw_sum)
        return (1.0 - r) * scale, r * scale

    def _sample_weight(self, sample_weight, X, y_idx):
        sw = check_sample_weight(sample_weight, X)
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=self.classes_,
                                      y=self.classes_[y_idx])
            sw = sw * cw[y_idx]
        if not sw.sum() > 0:
            raise ValueError("The sample weights (times the class weights) sum to "
                             "zero: there is nothing to fit.")
        return sw

    # -------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None):
        """Fit the model; ``sample_weight`` multiplies each row's loss."""
        X, y = check_X_y(self, X, y, reset=True, accept_sparse=True)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"y has only one class ({self.classes_[0]!r}); "
                             "logistic regression needs at least two.")
        n_threads = effective_n_threads(self.n_jobs)
        sw = self._sample_weight(sample_weight, X, y_idx)
        alpha, l1 = self._penalty_strengths(float(sw.sum()))
        n_out = 1 if n_classes == 2 else n_classes
        loss = LogisticLoss(X, y_idx, sw, n_out, self.fit_intercept, alpha, n_threads)
        w0 = self._start(loss)
        with single_threaded_blas():
            if self.solver == "fista":
                w, n_iter, converged = fista(loss, w0, l1, self.max_iter, self.tol,
                                             self.verbose)
            else:
                w, n_iter, converged = SOLVERS[self.solver](
                    loss, w0, self.max_iter, self.tol, self.verbose)
        W, b = loss.unpack(w)
        self.coef_ = np.array(W, dtype=np.float64)
        self.intercept_ = np.array(b, dtype=np.float64)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        if not converged:
            warnings.warn(f"{self.solver} did not converge in {n_iter} iterations "
                          f"(tol={self.tol}); raise max_iter, or scale the data.",
                          ConvergenceWarning, stacklevel=2)
        if alpha == 0.0 and l1 == 0.0:
            self._warn_if_separated(X, y_idx, sw)
        return self

    def _start(self, loss):
        """Zeros, or the previous fit with ``warm_start`` when the shapes agree."""
        w0 = np.zeros(loss.n_params)
        coef = getattr(self, "coef_", None)
        k, d = loss.n_out, loss.n_features
        if self.warm_start and coef is not None and coef.shape == (k, d):
            w0[: k * d] = coef.ravel()
            if self.fit_intercept:
                w0[k * d:] = self.intercept_
        return w0

    def _warn_if_separated(self, X, y_idx, sw):
        """Unpenalized and every weighted row right: the likelihood has no maximum."""
        raw = self._raw(X)
        seen = sw > 0
        if raw.shape[1] == 1:
            right = (raw[:, 0] > 0) == (y_idx == 1)
        else:
            right = raw.argmax(axis=1) == y_idx
        if right[seen].all():
            warnings.warn(
                "The classes are linearly separable, so the unpenalized "
                "likelihood has no maximum (the coefficients grow without bound "
                "with the iterations); use penalty='l2' with a finite C.",
                ConvergenceWarning, stacklevel=3)

    # ---------------------------------------------------------------- predict
    def _raw(self, X):
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def decision_function(self, X):
        """Scores: the log-odds of ``classes_[1]`` (two classes), else one per class."""
        check_is_fitted(self)
        X = check_X(self, X, reset=False, accept_sparse=True)
        raw = self._raw(X)
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict_log_proba(self, X):
        """Log P(class | x), columns in the order of ``classes_``."""
        raw = self.decision_function(X)
        if raw.ndim == 1:
            return np.column_stack([-np.logaddexp(0.0, raw), -np.logaddexp(0.0, -raw)])
        return log_softmax(raw, axis=1)

    def predict_proba(self, X):
        """P(class | x), columns in the order of ``classes_``."""
        raw = self.decision_function(X)
        if raw.ndim == 1:
            p = expit(raw)
            return np.column_stack([1.0 - p, p])
        return np.exp(log_softmax(raw, axis=1))

    def predict(self, X):
        """Return the most probable class of each row."""
        raw = self.decision_function(X)
        idx = (raw > 0).astype(int) if raw.ndim == 1 else raw.argmax(axis=1)
        return self.classes_[idx]
