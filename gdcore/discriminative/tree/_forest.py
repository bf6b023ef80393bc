"""Random forests and extremely randomized trees on the compiled builder.

The training set is validated and binned once; all trees then grow in one
kernel call, in parallel over trees, each from its own seed drawn from
``random_state`` (its bootstrap sample and its feature draws come from that
seed alone), so a forest is the same on any number of threads.  After a
fit the trees are packed into one array of nodes (``PackedForest``: 8-byte
nodes over one-byte codes of the rows, or 16-byte nodes over their values)
and prediction walks them all in one kernel call, parallel over row blocks.
Parameters are scikit-learn's, plus ``max_bins`` (see ``tree_bins``).
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import ensemble as sk_ensemble
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore._dask import dask_dispatch
from gdcore._fallback import PeerFallbackMixin, delegate_to_peer
from gdcore._sklearn_compat import (
    _BOOTSTRAP_TAKES_WEIGHT,
    _get_n_samples_bootstrap,
    forest_bootstrap_size,
)
from gdcore._threads import effective_n_threads
from gdcore.discriminative.tree import _tree_build
from gdcore.discriminative.tree._classes import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    regression_criterion,
)
from gdcore.discriminative.tree._common import (
    GDCORE_CONSTRAINTS,
    SEED_MAX,
    TrainingSet,
    check_forest_size,
    check_predict_X,
    fallback_reason,
)
from gdcore.discriminative.tree._docs import forest_doc
from gdcore.discriminative.tree._forest_outputs import (
    _ForestClassifierMixin,
    _ForestRegressorMixin,
)
from gdcore.discriminative.tree._pruning import prune
from gdcore.discriminative.tree._shap import explain
from gdcore.discriminative.tree._structure import PackedForest, dense_rows

_TREE_PARAMS = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf",
                "min_weight_fraction_leaf", "max_features", "max_leaf_nodes",
                "min_impurity_decrease", "ccp_alpha", "max_bins")


class _BaseForest(PeerFallbackMixin, BaseEstimator):
    """Grow on the compiled builder, or through scikit-learn's forest of the same name.

    The peer fits other criteria, monotonic constraints, and sparse X too
    large to bin in memory.
    """

    def _fallback_reason(self, X, y=None, **fit_params):
        return fallback_reason(self, X, y)

    # scikit-learn's ensembles are sequences of their fitted trees
    def __len__(self):
        return len(self.estimators_)

    def __getitem__(self, index):
        return self.estimators_[index]

    def __iter__(self):
        return iter(self.estimators_)

    @property
    def estimator(self):
        """The unfitted tree each member is grown as (scikit-learn's template)."""
        tree = DecisionTreeClassifier if self._is_classifier else DecisionTreeRegressor
        return tree(splitter=self._splitter)

    @property
    def estimator_(self):
        return self.estimator

    @dask_dispatch
    def fit(self, X, y, sample_weight=None):
        """Grow the trees (in parallel); NaN in X is routed, not rejected.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows, handled as float32.  NaN (dense X only) is a
            value the trees learn to route; sparse X is binned column by
            column and grows the same forest as its dense copy.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classifier) or targets (regressor).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, multiplied by each tree's bootstrap
            counts; None weighs every row 1.

        Returns
        -------
        self : object
            The fitted forest.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import RandomForestClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> len(RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y))
        5
        """
        self._validate_params()
        check_forest_size(self.n_estimators)
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        n_threads = effective_n_threads(self.n_jobs)
        if not self.bootstrap and self.max_samples is not None:
            raise ValueError("`max_sample` cannot be set if `bootstrap=False`. Either switch "
                             "to `bootstrap=True` or set `max_sample=None`.")
        if not self.bootstrap and self.oob_score:
            raise ValueError("Out of bag estimation only available if bootstrap=True")
        data = TrainingSet(self, X, y, sample_weight, self._is_classifier, n_threads)
        n = data.X.shape[0]
        # scikit-learn's private name for the combined weights, which its own
        # tests and some user code read
        self._sample_weight = data.weight if data.weighted else None
        # scikit-learn 1.9 draws bootstrap rows in proportion to the weights
        # (and sizes a float max_samples by their sum); earlier releases draw
        # uniformly and weigh the drawn rows
        self._draw_by_weight = bool(self.bootstrap and data.weighted and _BOOTSTRAP_TAKES_WEIGHT)
        n_draw = self._n_draw(n) if self.bootstrap else 0
        self._n_samples, self._n_draw_fitted = n, n_draw
        self._n_samples_bootstrap = n_draw if self.bootstrap else None
        if not self.warm_start or not hasattr(self, "estimators_"):
            self.estimators_, self._seeds = [], []
        n_more = self.n_estimators - len(self.estimators_)
        if n_more < 0:
            raise ValueError(f"n_estimators={self.n_estimators} must be larger or equal "
                             f"to len(estimators_)={len(self.estimators_)} when "
                             "warm_start==True.")
        if n_more == 0:
            warnings.warn("Warm-start fitting without increasing n_estimators does not "
                          "fit new trees.", stacklevel=2)
        else:
            # scikit-learn's per-tree random_state ints; each tree's seed is
            # the one a DecisionTree with that random_state draws, so a member
            # refitted on its estimators_samples_ rows is the same tree
            states = check_random_state(self.random_state).randint(
                np.iinfo(np.int32).max, size=self.n_estimators)[len(self.estimators_):]
            seeds = [check_random_state(int(r)).randint(SEED_MAX, dtype=np.int64)
                     for r in states]
            trees = self._grow(data, seeds, n_draw, n_threads)
            self.estimators_ += [self._wrap(t, data, int(r)) for t, r in zip(trees, states)]
            self._seeds += [int(s) for s in seeds]
        self.n_outputs_ = data.n_outputs
        if self._is_classifier:
            self.classes_ = data.classes[0] if data.n_outputs == 1 else data.classes
            self.n_classes_ = (int(data.n_classes[0]) if data.n_outputs == 1
                               else [int(k) for k in data.n_classes])
        self._pack(n_threads)
        if self.oob_score and (n_more > 0 or not hasattr(self, "oob_score_")):
            # scikit-learn's name: a warm start that adds no tree keeps the score
            self._set_oob_score_and_attributes(data, n_draw, n_threads)
        return self

    def _grow(self, data, seeds, n_draw, n_threads):
        """Grow one tree per seed; with ``verbose``, in batches, printing progress.

        Each tree comes from its own seed, so batches give the same forest.
        Like scikit-learn (joblib's lines): verbose > 0 prints the trees
        built after each batch, verbose > 1 also each tree as it starts.
        """
        draw_cum = self._draw_cum()
        if not self.verbose:
            return data.build(self, seeds, n_draw=n_draw, n_threads=n_threads,
                              draw_cum=draw_cum)
        n, trees, start = len(seeds), [], time.perf_counter()
        # about ten lines per fit, each batch a multiple of the threads
        per_line = -(-n // 10)
        step = -(-per_line // n_threads) * n_threads
        for lo in range(0, n, step):
            batch = seeds[lo: lo + step]
            if self.verbose > 1:
                for k in range(lo, lo + len(batch)):
                    print(f"building tree {k + 1} of {n}", flush=True)
            trees += data.build(self, batch, n_draw=n_draw, n_threads=n_threads,
                                draw_cum=draw_cum)
            print(f"[{type(self).__name__}(n_jobs={self.n_jobs})]: Done {len(trees):4d} out "
                  f"of {n:4d} | elapsed: {time.perf_counter() - start:6.1f}s"
                  + (" finished" if len(trees) == n else ""), flush=True)
        return trees

    def _n_draw(self, n):
        """Return the bootstrap draws per tree by the installed scikit-learn's rule.

        In 1.9 they may exceed n, and a float max_samples is a fraction of
        the weights' sum when rows are drawn by weight.
        """
        if self._draw_by_weight:
            return int(_get_n_samples_bootstrap(n, self.max_samples, self._sample_weight))
        return int(forest_bootstrap_size(n, self.max_samples))

    def _draw_cum(self):
        """Return the running sums of the weights rows are drawn by, or None (uniform)."""
        if not getattr(self, "_draw_by_weight", False):
            return None
        return np.cumsum(self._sample_weight)

    @property
    def estimators_samples_(self):
        """The rows drawn for each tree (with repeats), as int32 index arrays."""
        peer = self.__dict__.get("_peer")
        if peer is not None:
            return peer.estimators_samples_
        check_is_fitted(self, "estimators_")
        rows = np.arange(self._n_samples, dtype=np.int32)
        if not self._n_draw_fitted:
            return [rows.copy() for _ in self._seeds]
        draw_cum = self._draw_cum()
        return [np.repeat(rows, _tree_build.bootstrap_counts(
            np.uint64(seed), self._n_samples, self._n_draw_fitted, draw_cum).astype(np.intp))
            for seed in self._seeds]

    def _wrap(self, tree, data, random_state):
        """Return a fitted single-tree estimator around ``tree`` (scikit-learn's estimators_)."""
        cls = DecisionTreeClassifier if self._is_classifier else DecisionTreeRegressor
        est = cls(**{k: getattr(self, k) for k in _TREE_PARAMS}, splitter=self._splitter,
                  random_state=random_state)
        est.tree_ = prune(tree, self.ccp_alpha) if self.ccp_alpha > 0 else tree
        est.n_outputs_ = data.n_outputs
        est.n_features_in_ = data.X.shape[1]
        est.max_features_ = data.limits(self)["max_features"]
        if self._is_classifier:
            est.classes_ = data.classes[0] if data.n_outputs == 1 else data.classes
            est.n_classes_ = (int(data.n_classes[0]) if data.n_outputs == 1
                              else [int(k) for k in data.n_classes])
        return est

    def _pack(self, n_threads):
        """All trees' nodes in one compact array for prediction (``PackedForest``)."""
        self._forest = PackedForest([e.tree_ for e in self.estimators_], self.n_features_in_,
                                    n_threads)

    def _mean_values(self, X):
        """(n, n_outputs, width) mean of the trees' leaf values."""
        n_threads = effective_n_threads(self.n_jobs)
        return dense_rows(X, lambda rows: self._forest.mean(rows, n_threads)).reshape(
            X.shape[0], self.n_outputs_, -1)

    def _X(self, X):
        check_is_fitted(self, "estimators_")
        return check_predict_X(self, X)

    @delegate_to_peer
    def apply(self, X):
        """Return the leaf each sample reaches in each tree.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to route.

        Returns
        -------
        leaves : ndarray of shape (n_samples, n_estimators)
            Node index of each row's leaf in each tree.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import RandomForestClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> RandomForestClassifier(n_estimators=4).fit(X, y).apply(X[:2]).shape
        (2, 4)
        """
        X = self._X(X)
        n_threads = effective_n_threads(self.n_jobs)
        return dense_rows(X, lambda rows: np.stack(
            [e.tree_.apply(rows, n_threads) for e in self.estimators_], axis=1))

    @delegate_to_peer
    def decision_path(self, X):
        """Return the nodes each sample visits in every tree.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to route.

        Returns
        -------
        indicator : sparse matrix of shape (n_samples, n_nodes)
            CSR indicator over all trees' nodes, tree after tree.
        n_nodes_ptr : ndarray of shape (n_estimators + 1,)
            Columns ``n_nodes_ptr[i]:n_nodes_ptr[i + 1]`` are tree i's nodes.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import RandomForestClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> indicator, ptr = RandomForestClassifier(n_estimators=4).fit(X, y).decision_path(X)
        >>> indicator.shape == (150, ptr[-1])
        True
        """
        X = self._X(X)
        indicator = dense_rows(
            X, lambda rows: sp.hstack([e.tree_.decision_path(rows, 1)
                                       for e in self.estimators_], format="csr"),
            combine=lambda blocks: sp.vstack(blocks, format="csr"))
        ptr = np.cumsum([0] + [e.tree_.node_count for e in self.estimators_])
        return indicator, ptr

    @property
    def feature_importances_(self):
        """Mean over trees of each tree's normalized impurity decrease."""
        check_is_fitted(self, "estimators_")
        imps = [e.tree_.compute_feature_importances() for e in self.estimators_
                if e.tree_.node_count > 1]
        if not imps:
            return np.zeros(self.n_features_in_)
        imp = np.mean(imps, axis=0)
        return imp / imp.sum() if imp.sum() > 0 else imp

    def shap_values(self, X):
        """Exact Shapley contributions of each feature to each prediction (TreeSHAP).

        Lundberg et al. 2020, Algorithm 2, on every tree, averaged over the
        trees as the forest averages its predictions.  Compiled, parallel
        over rows (``n_jobs``); the same values as the ``shap`` package's
        ``TreeExplainer`` on the scikit-learn forest with the same trees.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to explain; NaN is routed as in ``predict``.

        Returns
        -------
        shap_values : ndarray or list of ndarray
            A classifier's contributions to each class probability, of shape
            (n_samples, n_features, n_classes) (a list of those per output
            if y had several columns); a regressor's of shape
            (n_samples, n_features), or (n_samples, n_features, n_outputs).
            Summed over features and added to ``expected_value_``, they give
            ``predict_proba`` (classifier) or ``predict`` (regressor).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from gdcore import RandomForestClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> rf = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
        >>> phi = rf.shap_values(X)
        >>> bool(np.allclose(phi.sum(axis=1) + rf.expected_value_, rf.predict_proba(X)))
        True
        """
        return explain(self, X)[0]

    @property
    def expected_value_(self):
        """The base value of ``shap_values``: the trees' mean cover-weighted leaf value.

        A float for a single-output regressor, (n_classes,) probabilities for
        a classifier (a list per output for multi-output ones), (n_outputs,)
        for a multi-output regressor.
        """
        return explain(self, None)[1]

    def _oob_values(self, data, n_draw, n_threads):
        """Return the (n, n_outputs, width) mean out-of-bag leaf values per training row.

        A row no tree left out gets 0, as in scikit-learn.
        """
        X, n = data.X, data.X.shape[0]
        X = X.tocsr() if sp.issparse(X) else X  # rows are drawn: CSR, not the fit's CSC
        width = self._forest.values.shape[1]
        total, count = np.zeros((n, width)), np.zeros(n)
        draw_cum = self._draw_cum()
        for est, seed in zip(self.estimators_, self._seeds):
            oob = np.flatnonzero(
                _tree_build.bootstrap_counts(np.uint64(seed), n, n_draw, draw_cum) == 0)
            leaves = est.tree_.apply(X[oob], n_threads)
            total[oob] += est.tree_.value.reshape(est.tree_.node_count, -1)[leaves]
            count[oob] += 1
        if (count == 0).any():
            warnings.warn("Some inputs do not have OOB scores. This probably means too "
                          "few trees were used to compute any reliable OOB estimates.",
                          stacklevel=4)
        total /= np.maximum(count, 1)[:, None]
        return total.reshape(n, self.n_outputs_, -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


def _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                 min_samples_leaf, min_weight_fraction_leaf, max_features, max_leaf_nodes,
                 min_impurity_decrease, bootstrap, oob_score, n_jobs, random_state,
                 verbose, warm_start, ccp_alpha, max_samples, monotonic_cst, max_bins):
    self.n_estimators = n_estimators
    self.criterion = criterion
    self.max_depth = max_depth
    self.min_samples_split = min_samples_split
    self.min_samples_leaf = min_samples_leaf
    self.min_weight_fraction_leaf = min_weight_fraction_leaf
    self.max_features = max_features
    self.max_leaf_nodes = max_leaf_nodes
    self.min_impurity_decrease = min_impurity_decrease
    self.bootstrap = bootstrap
    self.oob_score = oob_score
    self.n_jobs = n_jobs
    self.random_state = random_state
    self.verbose = verbose
    self.warm_start = warm_start
    self.ccp_alpha = ccp_alpha
    self.max_samples = max_samples
    self.monotonic_cst = monotonic_cst
    self.max_bins = max_bins


_CLF_CONSTRAINTS = {**sk_ensemble.RandomForestClassifier._parameter_constraints,
                    **GDCORE_CONSTRAINTS}
_REG_CONSTRAINTS = {**sk_ensemble.RandomForestRegressor._parameter_constraints,
                    **GDCORE_CONSTRAINTS}


class RandomForestClassifier(_ForestClassifierMixin, _BaseForest):
    # numpydoc docstring: set below the class from _docs' shared entries

    _splitter = "best"
    _peer_class = "sklearn.ensemble.RandomForestClassifier"
    _parameter_constraints = _CLF_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, ccp_alpha=0.0,
                 max_samples=None, monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)
        self.class_weight = class_weight


class ExtraTreesClassifier(_ForestClassifierMixin, _BaseForest):
    # numpydoc docstring: set below the class from _docs' shared entries

    _splitter = "random"
    _peer_class = "sklearn.ensemble.ExtraTreesClassifier"
    _parameter_constraints = _CLF_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, class_weight=None, ccp_alpha=0.0,
                 max_samples=None, monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, criterion, max_depth, min_samples_split,
                     min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)
        self.class_weight = class_weight


class RandomForestRegressor(_ForestRegressorMixin, _BaseForest):
    # numpydoc docstring: set below the class from _docs' shared entries

    _splitter = "best"
    _peer_class = "sklearn.ensemble.RandomForestRegressor"
    _parameter_constraints = _REG_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, ccp_alpha=0.0, max_samples=None,
                 monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, regression_criterion(criterion), max_depth,
                     min_samples_split, min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)


class ExtraTreesRegressor(_ForestRegressorMixin, _BaseForest):
    # numpydoc docstring: set below the class from _docs' shared entries

    _splitter = "random"
    _peer_class = "sklearn.ensemble.ExtraTreesRegressor"
    _parameter_constraints = _REG_CONSTRAINTS

    def __init__(self, n_estimators=100, *, criterion="squared_error", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, min_weight_fraction_leaf=0.0,
                 max_features=1.0, max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=False, oob_score=False, n_jobs=None, random_state=None,
                 verbose=0, warm_start=False, ccp_alpha=0.0, max_samples=None,
                 monotonic_cst=None, max_bins=255):
        _forest_init(self, n_estimators, regression_criterion(criterion), max_depth,
                     min_samples_split, min_samples_leaf, min_weight_fraction_leaf, max_features,
                     max_leaf_nodes, min_impurity_decrease, bootstrap, oob_score, n_jobs,
                     random_state, verbose, warm_start, ccp_alpha, max_samples, monotonic_cst,
                     max_bins)



for _cls, _summary, _kind, _boot in [
        (RandomForestClassifier, "Bootstrap-aggregated classification trees with random "
         "feature subsets.", "clf", "True"),
        (ExtraTreesClassifier, "Extremely randomized classification trees: one random cut "
         "per drawn feature.", "clf", "False"),
        (RandomForestRegressor, "Bootstrap-aggregated regression trees.", "reg", "True"),
        (ExtraTreesRegressor, "Extremely randomized regression trees.", "reg", "False")]:
    _cls.__doc__ = forest_doc(_cls.__name__, _summary, _kind, _boot)
