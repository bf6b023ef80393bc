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

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_softmax
from sklearn import linear_model as sk_linear
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._fallback import PeerFallbackMixin, delegate_to_peer
from gdcore._sklearn_compat import StrOptions, sklearn_version_at_least
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_classification_targets, check_sample_weight, check_X, check_X_y
from gdcore.discriminative.linear._callbacks import CallbackSupport
from gdcore.discriminative.linear._docs import LOGISTIC_EXAMPLE, method_doc
from gdcore.discriminative.linear._logistic_loss import LogisticLoss
from gdcore.discriminative.linear._logistic_solvers import SOLVERS, fista

# scikit-learn's solvers that gdcore's optimizers do not replace: fitted by the peer.
PEER_SOLVERS = ("liblinear", "sag", "saga", "newton-cholesky")


class LogisticRegression(CallbackSupport, PeerFallbackMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression (binary logit or multinomial softmax) on compiled kernels.

    A drop-in for ``sklearn.linear_model.LogisticRegression`` (scikit-learn
    1.9's parameters, with its deprecations): the loss and its gradient come
    from one compiled, OpenMP-parallel pass over X.  Solvers 'liblinear',
    'sag', 'saga', 'newton-cholesky', ``dual=True`` and
    ``intercept_scaling != 1`` are fitted by scikit-learn's estimator (the
    fallback is logged and listed by :func:`gdcore.show_config`).

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet', None}, default='deprecated'
        Deprecated as in scikit-learn 1.8: by default the penalty follows
        ``l1_ratio`` (0: 'l2', 1: 'l1', between: 'elasticnet') and ``C``
        (``np.inf``: none).  Never applied to the intercept.
    C : float, default=1.0
        Inverse regularization strength, > 0; ``np.inf`` means no penalty.
    l1_ratio : float in [0, 1], default=0.0
        The l1 share of the penalty: 0 is a pure l2 penalty, 1 a pure l1
        penalty (solver 'fista' or 'saga'), in between elastic-net.
    dual : bool, default=False
        liblinear's dual formulation (fitted by scikit-learn).
    tol : float, default=1e-4
        Stop when the largest entry of the objective's gradient (for l1 and
        elastic-net: of its optimality residual) is below ``tol``.
    fit_intercept : bool, default=True
        Whether to fit an intercept (one per score); it is never penalized.
    intercept_scaling : float, default=1
        liblinear's synthetic feature (values other than 1: scikit-learn).
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each row's sample weight by its class's weight; 'balanced'
        uses ``n_samples / (n_classes * np.bincount(y))``.
    random_state : int, RandomState instance or None, default=None
        Used by scikit-learn's stochastic solvers; gdcore's are deterministic.
    solver : {'lbfgs', 'newton-cg', 'fista', 'liblinear', 'sag', 'saga', \
'newton-cholesky'}, default='lbfgs'
        ``lbfgs`` and ``newton-cg`` (trust-region Newton-CG with exact
        Hessian-vector products) handle 'l2' and None; ``fista`` (accelerated
        proximal gradient) handles every penalty and is gdcore's for 'l1' and
        'elasticnet'.  The others are scikit-learn's.
    max_iter : int, default=100
        Maximum number of solver iterations; 0 returns the starting point.
    verbose : int, default=0
        Print iteration, objective and time when positive.
    warm_start : bool, default=False
        Start from the previous fit's coefficients when the shapes match.
    n_jobs : int or None, default=None
        OpenMP threads for the loss pass (None: OpenMP's default; -1: all
        cores).  The answer does not depend on it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients: one row (the log-odds of ``classes_[1]``) for two
        classes, else one row per class.  In X's floating dtype (float32
        stays float32); a CSR matrix after :meth:`sparsify`.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts, zeros when ``fit_intercept=False``.
    n_iter_ : ndarray of shape (1,)
        Iterations the solver ran.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in ``fit``, when X had string column names.

    See Also
    --------
    OrdinalLogisticRegression : Logistic model of ordered classes.
    sklearn.linear_model.LogisticRegression : The estimator this one replaces.

    Notes
    -----
    The fit minimizes scikit-learn's objective, scaled the same way, so that
    coefficients agree with scikit-learn's to the solvers' tolerance.  Since
    scikit-learn 1.9, ``set_callbacks`` registers fit callbacks, run for
    ``solver='lbfgs'`` as scikit-learn runs them.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gdcore import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
    >>> clf.predict(X[:2])
    array([0, 0])
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> print(f"{clf.score(X, y):.2f}")
    0.97
    """

    _peer_class = "sklearn.linear_model.LogisticRegression"
    _parameter_constraints = {
        **sk_linear.LogisticRegression._parameter_constraints,
        "solver": [StrOptions({"lbfgs", "newton-cg", "fista", *PEER_SOLVERS})],
        "n_jobs": [None, Integral],
    }

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=1e-4,
                 fit_intercept=True, intercept_scaling=1, class_weight=None,
                 random_state=None, solver="lbfgs", max_iter=100, verbose=0,
                 warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ checks
    def _fallback_reason(self, X, y=None, **fit_params):
        if self.solver in PEER_SOLVERS:
            return f"solver={self.solver!r}"
        if self.dual:
            return "dual=True"
        if self.intercept_scaling != 1:
            return f"intercept_scaling={self.intercept_scaling!r}"
        return None

    def _resolve_penalty(self):
        """Return the penalty scikit-learn 1.9 fits, warning as it does for deprecated spellings."""
        r = self.l1_ratio
        if self.penalty == "deprecated":
            if r is None or r == 0:
                penalty = "l2"
                if r is None:
                    warnings.warn("'l1_ratio=None' was deprecated in version 1.8 and will "
                                  "trigger an error in 1.10. Use 0<=l1_ratio<=1 instead.",
                                  FutureWarning, stacklevel=3)
            else:
                penalty = "l1" if r == 1 else "elasticnet"
            if self.C == np.inf:
                penalty = None
        elif not sklearn_version_at_least("1.8"):
            # Before 1.8 `penalty` is the parameter itself (default 'l2'), not a deprecation.
            penalty = self.penalty
        else:
            penalty = self.penalty
            warnings.warn("'penalty' was deprecated in version 1.8 and will be removed in "
                          "1.10. To avoid this warning, leave 'penalty' set to its default "
                          "value and use 'l1_ratio' or 'C' instead. Use l1_ratio=0 instead "
                          "of penalty='l2', l1_ratio=1 instead of penalty='l1', l1_ratio "
                          "set to a float between 0 and 1 instead of penalty='elasticnet', "
                          "and C=np.inf instead of penalty=None.", FutureWarning, stacklevel=3)
        if penalty in ("l1", "elasticnet") and self.solver != "fista":
            raise ValueError(f"Solver {self.solver} supports only 'l2' or None penalties, got "
                             f"{penalty} penalty. gdcore's solver for 'l1' and 'elasticnet' "
                             "is 'fista' ('saga' and 'liblinear' are scikit-learn's).")
        if penalty != "elasticnet" and r is not None and 0 < r < 1:
            warnings.warn("l1_ratio parameter is only used when penalty is 'elasticnet'. "
                          f"Got (penalty={penalty})", stacklevel=3)
        if sklearn_version_at_least("1.8") and (
                (self.penalty == "l2" and r != 0) or (self.penalty == "l1" and r != 1)):
            warnings.warn(f"Inconsistent values: penalty={self.penalty} with "
                          f"l1_ratio={r}. penalty is deprecated. Please use l1_ratio only.",
                          stacklevel=3)
        if penalty == "elasticnet" and r is None:
            raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
        if self.penalty is None and self.C != 1.0:
            warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters",
                          stacklevel=3)
        return penalty

    def _penalty_strengths(self, penalty, sw_sum):
        """(alpha_l2, alpha_l1) of the scaled objective."""
        if penalty is None or self.penalty is None or np.isinf(self.C):
            return 0.0, 0.0
        r = {"l2": 0.0, "l1": 1.0}.get(penalty, self.l1_ratio)
        scale = 1.0 / (self.C * sw_sum)
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
    @dask_dispatch
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, float32 or float64 (other dtypes become float64).
        y : array-like of shape (n_samples,)
            Class labels, at least two distinct.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the loss (times its class weight); None
            weighs every row 1.

        Returns
        -------
        self : LogisticRegression
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.preprocessing import StandardScaler
        >>> from gdcore import LogisticRegression
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = LogisticRegression().fit(X, y)
        >>> clf.coef_.shape, clf.intercept_.shape
        ((1, 30), (1,))
        """
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        penalty = self._resolve_penalty()
        X, y = check_X_y(self, X, y, reset=True, accept_sparse=True)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError("This solver needs samples of at least 2 classes in the data, "
                             f"but the data contains only one class: {self.classes_[0]!r}")
        n_threads = effective_n_threads(self.n_jobs)
        sw = self._sample_weight(sample_weight, X, y_idx)
        alpha, l1 = self._penalty_strengths(penalty, float(sw.sum()))
        n_out = 1 if n_classes == 2 else n_classes
        loss = LogisticLoss(X, y_idx, sw, n_out, self.fit_intercept, alpha, n_threads)
        w0 = self._start(loss)
        with self._fit_hooks(X, y, sample_weight) as hooks:
            with single_threaded_blas():
                w, n_iter, converged = self._solve(loss, w0, l1, hooks)
            W, b = loss.unpack(w)
            self.coef_ = np.array(W, dtype=X.dtype)
            self.intercept_ = np.array(b, dtype=X.dtype)
            self.n_iter_ = np.array([n_iter], dtype=np.int32)
            if not converged:
                # scikit-learn's wording, so code that filters its warnings filters these
                warnings.warn(f"{self.solver} failed to converge after {n_iter} "
                              f"iteration(s) (tol={self.tol}). Increase the number of "
                              f"iterations (max_iter={self.max_iter}) or scale the data.",
                              ConvergenceWarning, stacklevel=2)
            if alpha == 0.0 and l1 == 0.0:
                self._warn_if_separated(X, y_idx, sw)
            if hooks is not None:
                hooks.end()
        return self

    def _solve(self, loss, w0, l1, hooks):
        """(w, n_iter, converged) from the solver; ``hooks``: the fit's callbacks or None."""
        if self.solver == "fista":
            return fista(loss, w0, l1, self.max_iter, self.tol, self.verbose)
        if hooks is None:
            return SOLVERS[self.solver](loss, w0, self.max_iter, self.tol, self.verbose)
        iterations = hooks.iterations(loss.unpack, w0)
        result = SOLVERS["lbfgs"](loss, w0, self.max_iter, self.tol, self.verbose,
                                  on_iteration=iterations)
        iterations.close()
        return result

    def sparsify(self):
        """Store ``coef_`` as a CSR matrix (scikit-learn's ``SparseCoefMixin``).

        Worth it when most coefficients are zero (an l1 penalty).

        Returns
        -------
        self : LogisticRegression
            The estimator, its ``coef_`` now sparse.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import LogisticRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = LogisticRegression(l1_ratio=1, C=0.1, solver="fista", max_iter=5000).fit(X, y)
        >>> clf.sparsify().coef_.format
        'csr'
        """
        check_is_fitted(self, "coef_")
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (undo :meth:`sparsify`).

        Returns
        -------
        self : LogisticRegression
            The estimator, its ``coef_`` a dense ndarray.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import LogisticRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = LogisticRegression(max_iter=1000).fit(X, y).sparsify()
        >>> type(clf.densify().coef_).__name__
        'ndarray'
        """
        check_is_fitted(self, "coef_")
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def _start(self, loss):
        """Zeros, or the previous fit with ``warm_start`` when the shapes agree."""
        w0 = np.zeros(loss.n_params)
        coef = getattr(self, "coef_", None)
        if sp.issparse(coef):
            coef = coef.toarray()
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
        return np.asarray(safe_sparse_dot(X, self.coef_.T, dense_output=True)) + self.intercept_

    @dask_dispatch
    @delegate_to_peer
    @method_doc("Return the linear scores of each row.", ["X.sparse_score"], """\
scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
    For two classes the log-odds of ``classes_[1]``, else one score
    per class (the softmax's logits).""",
                LOGISTIC_EXAMPLE + """>>> clf.decision_function(X[:2]).shape
(2, 3)
>>> clf.fit(X, y == 0).decision_function(X[:2]).shape
(2,)""")
    def decision_function(self, X):
        check_is_fitted(self)
        X = check_X(self, X, reset=False, accept_sparse=True)
        raw = self._raw(X)
        return raw[:, 0] if raw.shape[1] == 1 else raw

    @dask_dispatch
    @delegate_to_peer
    @method_doc("Return log P(class | x) for each row.", ["X.sparse"], """\
log_proba : ndarray of shape (n_samples, n_classes)
    Log-probabilities, columns in the order of ``classes_``, computed
    without forming the probabilities (no underflow to -inf).""",
                LOGISTIC_EXAMPLE + """>>> import numpy as np
>>> np.exp(clf.predict_log_proba(X[:2])).sum(axis=1).round(6)
array([1., 1.])""")
    def predict_log_proba(self, X):
        raw = self.decision_function(X)
        if raw.ndim == 1:
            return np.column_stack([-np.logaddexp(0.0, raw), -np.logaddexp(0.0, -raw)])
        return log_softmax(raw, axis=1)

    @dask_dispatch
    @delegate_to_peer
    @method_doc("Return P(class | x) for each row.", ["X.sparse"], """\
proba : ndarray of shape (n_samples, n_classes)
    Probabilities (the logistic of the score for two classes, the
    softmax of the scores otherwise), columns in the order of
    ``classes_``; each row sums to 1.""",
                LOGISTIC_EXAMPLE + """>>> clf.predict_proba(X[:1]).argmax(axis=1)
array([0])""")
    def predict_proba(self, X):
        raw = self.decision_function(X)
        if raw.ndim == 1:
            p = expit(raw)
            return np.column_stack([1.0 - p, p])
        return np.exp(log_softmax(raw, axis=1))

    @dask_dispatch
    @delegate_to_peer
    @method_doc("Return the most probable class of each row.", ["X.sparse"], """\
y_pred : ndarray of shape (n_samples,)
    The class of highest score for each row, from ``classes_``.""",
                LOGISTIC_EXAMPLE + """>>> clf.predict(X[[0, 50, 100]])
array([0, 1, 2])""")
    def predict(self, X):
        raw = self.decision_function(X)
        idx = (raw > 0).astype(int) if raw.ndim == 1 else raw.argmax(axis=1)
        return self.classes_[idx]
