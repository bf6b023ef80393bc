"""The boosting loop shared by HistGradientBoostingClassifier and Regressor.

Fit: validate, bin X once (``_binning.Bins``), start every raw prediction at
the loss's baseline, then per iteration compute gradients and hessians, grow
one tree per output (``_grower.TreeGrower``), and add its shrunk leaf values
to the training rows' raw predictions straight from the final partition
(``_boosting_rows.add_leaf_values``; rows left out by ``subsample`` and the
validation rows walk the tree on their bin codes).  Early stopping, its
scores, the small training subset they are computed on, the warm start and
the seeds follow scikit-learn's ``HistGradientBoosting*`` so that a user can
swap the import.  Categorical features are encoded as scikit-learn encodes
them and split natively (``_categorical``).  What the kernels do not serve
(sparse X, the absolute-error and quantile losses, a loss object) is fitted
by scikit-learn's estimator through ``PeerFallbackMixin``.
"""

import itertools
from contextlib import contextmanager
from numbers import Integral, Real
from time import perf_counter

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, resample
from sklearn.utils.validation import check_is_fitted

from gdcore._fallback import PeerFallbackMixin
from gdcore._sklearn_compat import Interval, StrOptions
from gdcore._threads import effective_n_threads
from gdcore._validation import check_sample_weight, check_X, check_X_y
from gdcore.discriminative.boosting import _boosting_hist, _boosting_rows
from gdcore.discriminative.boosting._binning import Bins
from gdcore.discriminative.boosting._categorical import make_encoding
from gdcore.discriminative.boosting._explain import explain
from gdcore.discriminative.boosting._grower import TreeGrower
from gdcore.discriminative.boosting._loss import make_loss
from gdcore.discriminative.boosting._predictor import BoostedTree, Forest

# scikit-learn's early_stopping="auto" threshold and the size of the training
# subset its scores are computed on.
AUTO_EARLY_STOPPING_ROWS = 10_000
SMALL_TRAINSET_ROWS = 10_000

GDCORE_CONSTRAINTS = {
    "n_jobs": [Integral, None],
    "subsample": [Interval(Real, 0.0, 1.0, closed="right")],
    "colsample_bytree": [Interval(Real, 0.0, 1.0, closed="right")],
    "importance_type": [StrOptions({"gain", "split"})],
}


class BaseHistGradientBoosting(PeerFallbackMixin, BaseEstimator):
    """Boosting loop; subclasses set ``_peer_class`` and the target handling."""

    def _fallback_reason(self, X, y=None, **fit_params):
        if sp.issparse(X):
            return "sparse X"
        if not isinstance(self.loss, str):
            return "a loss object"
        if self.loss in ("absolute_error", "quantile"):
            return f"loss={self.loss!r}"
        return None

    # -- validation ---------------------------------------------------------

    def _check_monotonic_cst(self, d):
        cst = self.monotonic_cst
        if cst is None:
            return np.zeros(d, dtype=np.int8)
        if isinstance(cst, dict):
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError("monotonic_cst as a dict needs X with feature names "
                                 "(a pandas DataFrame); pass an array of length n_features.")
            unknown = set(cst) - set(names)
            if unknown:
                raise ValueError(f"monotonic_cst contains {len(unknown)} unexpected feature "
                                 f"names: {sorted(unknown)}.")
            cst = [cst.get(name, 0) for name in names]
        cst = np.asarray(cst)
        if cst.shape != (d,):
            raise ValueError(f"monotonic_cst has shape {cst.shape} but the input data X has "
                             f"{d} features.")
        if not np.isin(cst, (-1, 0, 1)).all():
            raise ValueError("monotonic_cst must be an array-like of -1, 0 or 1; got "
                             f"{np.unique(cst).tolist()}.")
        if np.any(cst != 0) and self._n_outputs > 1:
            raise ValueError("monotonic constraints are not supported for multiclass "
                             "classification.")
        return cst.astype(np.int8)

    def _check_interaction_cst(self, d):
        cst = self.interaction_cst
        if cst is None:
            return None
        if cst == "no_interactions":
            groups = [{i} for i in range(d)]
        elif cst == "pairwise":
            groups = [set(p) for p in itertools.combinations(range(d), 2)]
        else:
            try:
                groups = [set(g) for g in cst]
            except TypeError:
                raise ValueError("Interaction constraints must be a sequence of tuples or "
                                 "lists, got: {!r}.".format(cst)) from None
            for g in groups:
                for f in g:
                    if not isinstance(f, Integral) or not 0 <= f < d:
                        raise ValueError("Interaction constraints must consist of integer "
                                         f"indices in [0, n_features - 1] = [0, {d - 1}], "
                                         f"specifying the position of features, got invalid "
                                         f"indices: {sorted(map(str, g))}")
        rest = set(range(d)) - set().union(*groups) if groups else set(range(d))
        if rest:
            groups.append(rest)
        return groups

    # -- fit -----------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the gradient boosting model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; NaN marks a missing value (routed by each split).
        y : array-like of shape (n_samples,)
            Target values (class labels for a classifier).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows; None weighs them equally.

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from gdcore import HistGradientBoostingRegressor
        >>> X, y = load_diabetes(return_X_y=True)
        >>> HistGradientBoostingRegressor(max_iter=10).fit(X, y).n_iter_
        10
        """
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        warm = self.warm_start and hasattr(self, "_forest")
        encoding = self._encoding if warm else make_encoding(self, X)
        if encoding is None:
            X, y = check_X_y(self, X, y, reset=not warm, allow_nan=True,
                             dtype=[np.float64, np.float32])
        else:
            X = encoding.transform(X) if warm else encoding.X
            encoding.X = None
            X, y = check_X_y(self, X, y, reset=True, allow_nan=True, dtype=[np.float64])
            names = getattr(encoding.preprocessor, "feature_names_in_", None)
            if names is not None:
                self.feature_names_in_ = names
        self._encoding = encoding
        sample_weight = check_sample_weight(sample_weight, X)
        y = self._encode_y(y, warm)
        sample_weight = self._finalize_sample_weight(sample_weight, y)
        n, d = X.shape
        n_threads = effective_n_threads(self.n_jobs)
        monotonic = self._check_monotonic_cst(d)
        if encoding is not None:
            if np.any(monotonic[encoding.order[encoding.is_categorical == 1]] != 0):
                raise ValueError("Categorical features cannot have monotonic constraints.")
            monotonic = np.ascontiguousarray(monotonic[encoding.order])
        # indices of the encoded features, as scikit-learn reads them
        interaction = self._check_interaction_cst(d)
        if not warm:
            rng = check_random_state(self.random_state)
            self._random_seed = int(rng.randint(np.iinfo(np.uint32).max, dtype="u8"))
            self._feature_rng = np.random.default_rng(
                int(rng.randint(np.iinfo(np.uint32).max, dtype="u8")))
        elif self.max_iter < self.n_iter_:
            raise ValueError(f"max_iter={self.max_iter} must be larger than or equal to "
                             f"n_iter_={self.n_iter_} when warm_start==True")
        self.do_early_stopping_ = (n > AUTO_EARLY_STOPPING_ROWS
                                   if self.early_stopping == "auto" else self.early_stopping)
        self._use_validation = self.do_early_stopping_ and self.validation_fraction is not None
        if self._use_validation:
            stratify = y if self._stratify else None
            X, X_val, y, y_val, sw, sw_val = train_test_split(
                X, y, np.ones(n) if sample_weight is None else sample_weight,
                test_size=self.validation_fraction, stratify=stratify,
                random_state=self._random_seed)
            X, X_val = np.ascontiguousarray(X), np.ascontiguousarray(X_val)
            if sample_weight is None:
                sw = sw_val = None
            sample_weight = sw
        else:
            X_val = y_val = sw_val = None
        is_categorical = (np.zeros(d, np.uint8) if encoding is None
                          else encoding.is_categorical)
        if not warm:
            self._bins = Bins(X, self.max_bins, check_random_state(self._random_seed),
                              None if encoding is None else encoding.n_categories)
        loss = make_loss(self.loss if isinstance(self.loss, str) else "", self._n_outputs,
                         sample_weight)
        if self.loss in ("poisson", "gamma"):
            self._check_positive_y(y)
        codes = self._bins.transform(X, n_threads)
        data = dict(codes=codes, n_bins=self._bins.n_bins, missing_code=self._bins.missing_code,
                    has_missing=np.ascontiguousarray(
                        (codes == self._bins.missing_code[:, None].astype(codes.dtype)).any(
                            axis=1), dtype=np.uint8),
                    monotonic_cst=monotonic, interaction_cst=interaction,
                    is_categorical=is_categorical)
        # row-major codes for the histograms of inner nodes (``build_rowwise``)
        data["codes_rows"] = np.ascontiguousarray(codes.T)
        data["partials"] = np.empty((_boosting_hist.MAX_ROW_CHUNKS,
                                     d * (int(self._bins.n_bins.max(initial=0)) + 1) * 3))
        if not warm:
            self._baseline = loss.baseline(y, sample_weight)
            self._trees = []
            self.train_score_, self.validation_score_ = [], []
        state = _FitState(self, X, y, sample_weight, X_val, y_val, sw_val, codes, loss,
                          n_threads)
        self._boost(data, state, loss, n_threads)
        self.train_score_ = np.asarray(self.train_score_)
        self.validation_score_ = np.asarray(self.validation_score_)
        self._forest = Forest(self._trees, self._baseline, n_threads,
                              None if encoding is None else self._bins)
        importances = self._forest.importances(d, self.importance_type)
        if encoding is not None:
            importances = encoding.to_input_order(importances, 0)
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else importances
        return self

    def _boost(self, data, state, loss, n_threads):
        K, n = self._n_outputs, state.raw.shape[1]
        g_dtype = np.float32
        gradients = np.empty((K, n), dtype=g_dtype)
        hessians = np.empty((K, n), dtype=g_dtype)
        if loss.constant_hessian:
            hessians[:] = 1.0
        all_features = np.arange(data["codes"].shape[0], dtype=np.int32)
        rng = np.random.RandomState(self._random_seed)
        for _ in range(len(self._trees)):  # a warm start continues the same draws
            self._draws(rng, n, all_features)
        if not self._trees and (self.do_early_stopping_ or self.verbose):
            state.score(self, loss)
        for it in range(len(self._trees), self.max_iter):
            tic = perf_counter()
            loss.gradient_hessian(state.y, state.raw, state.sw, gradients, hessians, n_threads)
            rows, features = self._draws(rng, n, all_features)
            params = dict(max_leaf_nodes=self.max_leaf_nodes, max_depth=self.max_depth,
                          min_samples_leaf=self.min_samples_leaf, l2=self.l2_regularization,
                          min_hessian=1e-3, shrinkage=self.learning_rate,
                          feature_fraction=self.max_features, rng=self._feature_rng)
            trees = []
            for k in range(K):
                part = rows.copy()
                grower = TreeGrower(data, part, len(rows) == n, gradients[k], hessians[k],
                                    loss.constant_hessian, features, params, n_threads)
                arrays = grower.grow()
                leaves = arrays["leaf_start"] >= 0
                _boosting_rows.add_leaf_values(
                    state.raw[k], part, arrays["leaf_start"][leaves],
                    arrays["leaf_stop"][leaves], arrays["value"][leaves], n_threads)
                if len(rows) < n:
                    state.walk(arrays, k, state.out_of_bag(rows), n_threads)
                state.walk_val(arrays, k, n_threads)
                trees.append(BoostedTree.from_grower(arrays, self._bins))
            self._trees.append(trees)
            stop = False
            if self.do_early_stopping_ or self.verbose:
                stop = state.score(self, loss) and self.do_early_stopping_
            if self.verbose:
                self._print_iteration(it, trees, perf_counter() - tic)
            if stop:
                break

    def _draws(self, rng, n, all_features):
        """Rows (``subsample``) and features (``colsample_bytree``) of one iteration."""
        rows = np.arange(n, dtype=np.int32)
        if self.subsample < 1.0:
            m = max(1, int(round(self.subsample * n)))
            rows = np.sort(rng.choice(n, m, replace=False)).astype(np.int32)
        features = all_features
        if self.colsample_bytree < 1.0:
            m = max(1, int(np.ceil(self.colsample_bytree * len(all_features))))
            features = np.sort(rng.choice(all_features, m, replace=False)).astype(np.int32)
        return rows, features

    def _print_iteration(self, it, trees, seconds):
        leaves = sum(int((t.children_left < 0).sum()) for t in trees)
        line = f"[{it + 1}/{self.max_iter}] {len(trees)} tree(s), {leaves} leaves"
        if len(self.train_score_):
            line += f", train score: {self.train_score_[-1]:.5f}"
        if len(self.validation_score_):
            line += f", val score: {self.validation_score_[-1]:.5f}"
        print(line + f", in {seconds:.3f}s")

    def _should_stop(self, scores):
        ref = self.n_iter_no_change + 1
        if len(scores) < ref:
            return False
        reference = scores[-ref] + self.tol
        return not any(s > reference for s in scores[-ref + 1:])

    # -- prediction ----------------------------------------------------------

    @property
    def n_iter_(self):
        """Number of boosting iterations fitted."""
        check_is_fitted(self, "_forest")
        return len(self._trees)

    def _predict_X(self, X):
        check_is_fitted(self, "_forest")
        if self._encoding is not None:
            return self._encoding.transform(X)
        return check_X(self, X, reset=False, allow_nan=True, dtype=[np.float64, np.float32])

    def _raw_predict(self, X):
        """Raw predictions (K, n)."""
        override = self.__dict__.get("_raw_override")
        if override is not None:
            return override
        X = self._predict_X(X)
        return self._forest.raw(X, effective_n_threads(self.n_jobs))

    def _staged_raw_predict(self, X):
        X = self._predict_X(X)
        yield from self._forest.staged_raw(X, effective_n_threads(self.n_jobs))

    def shap_values(self, X):
        """Exact Shapley contributions of each feature to each raw prediction (TreeSHAP).

        Lundberg et al. 2020, Algorithm 2, compiled and parallel over rows
        (``n_jobs``), through the tree family's ``tree_shap``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain; NaN is routed as in ``predict``.

        Returns
        -------
        shap_values : ndarray of shape (n_samples, n_features) or \
(n_samples, n_features, n_classes)
            Contributions to the raw prediction (``decision_function`` of a
            classifier, ``predict`` before the inverse link of a regressor);
            one slice per class for a multiclass classifier.  Summed over
            features and added to ``expected_value_`` they give the raw
            prediction.
        """
        if "_peer" in self.__dict__:
            raise ValueError("shap_values needs a model fitted by gdcore's kernels; this one "
                             f"was fitted by scikit-learn ({self._peer_reason}).")
        check_is_fitted(self, "_forest")
        phi = explain(self, X)[0]
        return phi[:, :, 0] if phi.shape[2] == 1 else phi

    @property
    def expected_value_(self):
        """Expected raw prediction over the training rows (TreeSHAP's base value).

        A float for a regressor or a binary classifier, an array of one value
        per class for a multiclass classifier.
        """
        if "_peer" in self.__dict__:
            raise AttributeError("expected_value_ needs a model fitted by gdcore's kernels.")
        check_is_fitted(self, "_forest")
        base = explain(self, None)[1]
        return float(base[0]) if len(base) == 1 else base

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class _FitState:
    """Raw predictions and the early-stopping data of one fit."""

    def __init__(self, est, X, y, sw, X_val, y_val, sw_val, codes, loss, n_threads):
        self.y, self.sw = y, sw
        n = X.shape[0]
        if est._trees:  # warm start: the raw predictions of the trees so far
            self.raw = est._forest.raw(X, n_threads)
        else:
            self.raw = np.repeat(est._baseline[:, None], n, axis=1).astype(np.float64)
        self.codes = codes
        self._missing = est._bins.missing_code
        self.X_val, self.y_val, self.sw_val = X_val, y_val, sw_val
        if X_val is not None:
            self.codes_val = est._bins.transform(X_val, n_threads)
            self.raw_val = (est._forest.raw(X_val, n_threads) if est._trees else
                            np.repeat(est._baseline[:, None], len(X_val), axis=1))
        self.small = None
        if n > SMALL_TRAINSET_ROWS:
            self.small = resample(np.arange(n), n_samples=SMALL_TRAINSET_ROWS, replace=False,
                                  random_state=est._random_seed,
                                  stratify=y if est._stratify else None)
        self.X = X
        self.scorer = None
        if est.scoring != "loss":
            self.scorer = check_scoring(est, est.scoring)

    def out_of_bag(self, rows):
        mask = np.ones(self.raw.shape[1], dtype=bool)
        mask[rows] = False
        return np.flatnonzero(mask).astype(np.int32)

    def walk(self, arrays, k, rows, n_threads):
        _boosting_rows.predict_binned(self.codes, rows, arrays["left"], arrays["right"],
                                      arrays["feature"], arrays["bin"], arrays["missing_left"],
                                      self._missing, arrays["is_cat"], arrays["cat_bits"],
                                      arrays["value"], self.raw[k], n_threads)

    def walk_val(self, arrays, k, n_threads):
        if self.X_val is None:
            return
        rows = np.arange(len(self.X_val), dtype=np.int32)
        _boosting_rows.predict_binned(self.codes_val, rows, arrays["left"], arrays["right"],
                                      arrays["feature"], arrays["bin"], arrays["missing_left"],
                                      self._missing, arrays["is_cat"], arrays["cat_bits"],
                                      arrays["value"], self.raw_val[k], n_threads)

    def score(self, est, loss):
        """Append the train (and validation) scores; return whether to stop."""
        idx = self.small
        y, raw, sw = self.y, self.raw, self.sw
        X = self.X
        if idx is not None:
            y, raw, X = y[idx], raw[:, idx], X[idx]
            sw = None if sw is None else sw[idx]
        est.train_score_.append(self._score(est, loss, X, y, raw, sw))
        if self.X_val is None:
            return est._should_stop(est.train_score_)
        est.validation_score_.append(self._score(est, loss, self.X_val, self.y_val,
                                                 self.raw_val, self.sw_val))
        return est._should_stop(est.validation_score_)

    def _score(self, est, loss, X, y, raw, sw):
        if self.scorer is None:
            return -loss(y, raw, sw)
        with _patched_raw(est, raw):
            if sw is None:
                return float(self.scorer(est, X, est._decode_y(y)))
            return float(self.scorer(est, X, est._decode_y(y), sample_weight=sw))


@contextmanager
def _patched_raw(est, raw):
    """Serve _raw_predict from raw during a scorer call (scikit-learn's _patch_raw_predict)."""
    est._raw_override = raw
    had_forest = hasattr(est, "_forest")
    if not had_forest:
        est._forest = None
    try:
        yield
    finally:
        del est._raw_override
        if not had_forest:
            del est._forest

