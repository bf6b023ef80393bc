"""The boosting loop shared by HistGradientBoostingClassifier and Regressor.

Fit: validate, bin X once (``_binning.Bins``), start every raw prediction at
the loss's baseline, then per iteration compute gradients and hessians, grow
one tree per output (``_grower.TreeGrower``), and add its shrunk leaf values
to the training rows' raw predictions straight from the final partition
(``_boosting_rows.add_leaf_values``; rows left out by ``subsample`` and the
validation rows walk the tree on their bin codes).  Early stopping, its
scores (on a validation split or the ``X_val`` passed to fit), the small
training subset they are computed on, the warm start, the seeds, +-inf in X
and the private attributes user code reads (``_predictors``,
``_preprocessor``, ``_bin_mapper``) follow scikit-learn's
``HistGradientBoosting*`` so that a user can swap the import.  Categorical
features are encoded as scikit-learn encodes them and split natively
(``_categorical``).  The absolute-error and quantile losses refit each
leaf's value to its residuals' median or quantile after growing
(``_loss.Pinball``).  What the kernels do not serve (sparse X, a loss
object) is fitted by scikit-learn's estimator through ``PeerFallbackMixin``.
"""

import itertools
from contextlib import contextmanager, nullcontext
from functools import cached_property
from numbers import Integral, Real
from time import perf_counter
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, resample
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._fallback import PeerFallbackMixin
from gdcore._sklearn_compat import Interval, StrOptions
from gdcore._threads import effective_n_threads
from gdcore._validation import check_sample_weight, check_X, check_X_y
from gdcore.discriminative.boosting import _boosting_rows
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

    @dask_dispatch
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the gradient boosting model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; NaN marks a missing value (routed by each split),
            +-inf falls in the first or last bin.  A Dask array or DataFrame
            (``y`` and ``sample_weight`` partitioned like it) is fitted on the
            workers' histograms, with early_stopping="auto" off (see the
            user guide's Dask page).
        y : array-like of shape (n_samples,)
            Target values (class labels for a classifier).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows; None weighs them equally.
        X_val : array-like of shape (n_val, n_features), default=None
            Validation rows for early stopping, in place of the
            ``validation_fraction`` split; needs ``y_val``.
        y_val : array-like of shape (n_val,), default=None
            Targets of ``X_val``.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows; None weighs them equally.

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
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight, X_val=X_val,
                                    y_val=y_val, sample_weight_val=sample_weight_val):
            return self
        warm = self.warm_start and hasattr(self, "_forest")
        encoding = self._encoding if warm else make_encoding(self, X)
        if encoding is None:
            # +-inf is served (first or last bin), as in scikit-learn: no finiteness pass
            X, y = check_X_y(self, X, y, reset=not warm, allow_nan=True,
                             dtype=[np.float64, np.float32], kernel_checks_finite=True)
        else:
            X = encoding.transform(X) if warm else encoding.X
            encoding.X = None
            X, y = check_X_y(self, X, y, reset=True, allow_nan=True, dtype=[np.float64],
                             kernel_checks_finite=True)
            names = getattr(encoding.preprocessor, "feature_names_in_", None)
            if names is not None:
                self.feature_names_in_ = names
        self._encoding = encoding
        self.is_categorical_ = None if encoding is None else encoding.input_mask
        # None stays None, as in scikit-learn: unit hessians stay constant
        # (squared error) and a scorer is called without weights
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        y = self._encode_y(y, warm)
        sample_weight = self._finalize_sample_weight(sample_weight, y)
        if X_val is not None or y_val is not None:
            X_val, y_val, sample_weight_val = self._check_validation_data(
                X_val, y_val, sample_weight_val)
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
        self._use_validation = self.do_early_stopping_ and (
            self.validation_fraction is not None or X_val is not None)
        if self._use_validation and X_val is None:
            stratify = y if self._stratify else None
            X, X_val, y, y_val, sw, sample_weight_val = train_test_split(
                X, y, np.ones(n) if sample_weight is None else sample_weight,
                test_size=self.validation_fraction, stratify=stratify,
                random_state=self._random_seed)
            X, X_val = np.ascontiguousarray(X), np.ascontiguousarray(X_val)
            if sample_weight is None:
                sw = sample_weight_val = None
            sample_weight = sw
        elif not self._use_validation:
            X_val = y_val = sample_weight_val = None
        is_categorical = (np.zeros(d, np.uint8) if encoding is None
                          else encoding.is_categorical)
        if not warm:
            self._bins = Bins(X, self.max_bins, check_random_state(self._random_seed),
                              None if encoding is None else encoding.n_categories,
                              sample_weight, n_threads)
        loss = make_loss(self.loss if isinstance(self.loss, str) else "", self._n_outputs,
                         sample_weight, getattr(self, "quantile", None))
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
        if not warm:
            self._baseline = loss.baseline(y, sample_weight)
            self._trees = []
            self.train_score_, self.validation_score_ = [], []
        else:
            self.train_score_ = list(self.train_score_)
            self.validation_score_ = list(self.validation_score_)
        state = _FitState(self, X, y, sample_weight, X_val, y_val, sample_weight_val, codes,
                          loss, n_threads)
        self._in_fit = True  # a custom scorer's predictions come from the trees so far
        try:
            self._boost(data, state, loss, n_threads)
        finally:
            del self._in_fit
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

    def _check_validation_data(self, X_val, y_val, sample_weight_val):
        """Validate the ``X_val``, ``y_val``, ``sample_weight_val`` passed to fit."""
        if y_val is None:
            raise ValueError("X_val is provided, but y_val was not provided; pass both or "
                             "neither.")
        if X_val is None:
            raise ValueError("y_val is provided, but X_val was not provided; pass both or "
                             "neither.")
        if self.early_stopping is False:
            raise ValueError("X_val and y_val are passed to fit while at the same time "
                             "early_stopping is False. When passing X_val and y_val to fit, "
                             "early_stopping should be set to either 'auto' or True.")
        X_val = self._transform_X(X_val)
        y_val = np.asarray(y_val)
        check_consistent_length(X_val, y_val)
        y_val = self._encode_y_val(y_val)
        if sample_weight_val is not None:
            sample_weight_val = check_sample_weight(sample_weight_val, X_val)
        return X_val, y_val, sample_weight_val

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
                if loss.updates_leaves:
                    loss.update_leaves(arrays, part, state.y, state.raw[k], state.sw,
                                       self.learning_rate)
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
        return self._transform_X(X)

    def _transform_X(self, X):
        """Validate (and encode) X as in fit; +-inf is served, so no finiteness pass."""
        if self._encoding is not None:
            return self._encoding.transform(X)
        return check_X(self, X, reset=False, allow_nan=True, dtype=[np.float64, np.float32],
                       kernel_checks_finite=True)

    # -- scikit-learn's private attributes that user code reads -----------

    @property
    def _predictors(self):
        """The fitted trees, ``_predictors[i][k]`` of iteration i and output k.

        Each exposes ``nodes`` (scikit-learn's predictor records),
        ``get_n_leaf_nodes``, ``get_max_depth`` and ``raw_left_cat_bitsets``.
        """
        if "_peer" in self.__dict__:
            return self._peer._predictors
        check_is_fitted(self, "_forest")
        return self._trees

    @property
    def _preprocessor(self):
        """The ``ColumnTransformer`` encoding the categorical features, None without any."""
        if "_peer" in self.__dict__:
            return self._peer._preprocessor
        check_is_fitted(self, "_forest")
        return None if self._encoding is None else self._encoding.preprocessor

    @property
    def _bin_mapper(self):
        """The fit's bins under scikit-learn's ``_BinMapper`` names (a read-only summary).

        ``n_bins_non_missing_`` and ``bin_thresholds_`` (per encoded feature:
        the split thresholds of a numerical one, the category codes of a
        categorical one) equal scikit-learn's; the missing-value bin of
        feature f is ``n_bins_non_missing_[f]`` here, not a shared last bin.
        """
        if "_peer" in self.__dict__:
            return self._peer._bin_mapper
        check_is_fitted(self, "_forest")
        n_bins = self._bins.n_bins
        cat = (np.zeros(len(n_bins), bool) if self._encoding is None
               else self._encoding.is_categorical == 1)
        thresholds = [np.arange(k, dtype=np.float64) if c else self._bins.edges[f, :k - 1].copy()
                      for f, (k, c) in enumerate(zip(n_bins, cat))]
        return SimpleNamespace(n_bins_non_missing_=n_bins.astype(np.uint32),
                               bin_thresholds_=thresholds, is_categorical_=cat.astype(np.uint8))

    def _get_small_trainset(self, X_binned_train, y_train, sample_weight_train, seed):
        """Return the rows early stopping scores the training data on, and their indices.

        As scikit-learn: 10,000 rows drawn without replacement (stratified for
        a classifier) above that many, else all rows and ``slice(None)``.
        """
        if X_binned_train.shape[0] <= SMALL_TRAINSET_ROWS:
            return X_binned_train, y_train, sample_weight_train, slice(None)
        indices = resample(np.arange(X_binned_train.shape[0]), n_samples=SMALL_TRAINSET_ROWS,
                           replace=False, random_state=seed,
                           stratify=y_train if self._stratify else None)
        sw = None if sample_weight_train is None else sample_weight_train[indices]
        return (np.ascontiguousarray(X_binned_train[indices]), y_train[indices], sw,
                indices)

    def _raw_predict(self, X):
        """Raw predictions (K, n)."""
        if self.__dict__.get("_in_fit"):
            # a scorer during fit, on the training or validation rows, already
            # validated (and encoded): the trees grown so far
            forest = Forest(self._trees, self._baseline, effective_n_threads(self.n_jobs),
                            None if self._encoding is None else self._bins)
            return forest.raw(np.ascontiguousarray(X), effective_n_threads(self.n_jobs))
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
        self._X, self._est = X, est
        self.scorer = None
        if est.scoring != "loss":
            self.scorer = check_scoring(est, est.scoring)
        self.named_scorer = isinstance(est.scoring, str) and est.scoring in get_scorer_names()

    @cached_property
    def small(self):
        """The rows the training score is computed on (X, y, sw, indices).

        Drawn on first use: a fit that neither stops early nor prints
        scores never needs them (the draw takes its own seed, so no other
        draw moves).
        """
        return self._est._get_small_trainset(self._X, self.y, self.sw, self._est._random_seed)

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
        X, y, sw, idx = self.small
        raw = self.raw[:, idx]
        est.train_score_.append(self._score(est, loss, X, y, raw, sw))
        if self.X_val is None:
            return est._should_stop(est.train_score_)
        est.validation_score_.append(self._score(est, loss, self.X_val, self.y_val,
                                                 self.raw_val, self.sw_val))
        return est._should_stop(est.validation_score_)

    def _score(self, est, loss, X, y, raw, sw):
        if self.scorer is None:
            return -loss(y, raw, sw)
        # a named scorer predicts X once: it is served the raw predictions kept
        # up to date; a callable may predict anything, so it walks the trees
        # (``_raw_predict`` during fit), as in scikit-learn
        patch = _patched_raw(est, raw) if self.named_scorer else nullcontext()
        with patch:
            if sw is None:
                return float(self.scorer(est, X, est._decode_y(y)))
            return float(self.scorer(est, X, est._decode_y(y), sample_weight=sw))


@contextmanager
def _patched_raw(est, raw):
    """Serve _raw_predict from raw during a scorer call (scikit-learn's _patch_raw_predict).

    The instance attribute shadows the method, as scikit-learn's does, so that a
    scorer called during fit never walks the trees.
    """
    previous = est.__dict__.get("_raw_predict")
    est._raw_predict = lambda X: raw
    try:
        yield
    finally:
        if previous is None:
            del est._raw_predict
        else:
            est._raw_predict = previous
