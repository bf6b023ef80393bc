"""Random forests and extra trees on a Dask collection: histograms on the workers, splits here.

The rows never leave the workers except as the bins' sample.  Each
partition becomes a *shard* (``_dask_shards``) holding its rows' one-byte
bin codes, targets and weights; the shards of a worker live in one Dask
actor there.  The trees grow in batches of ``TREE_BATCH``, PLANET's way
(Panda et al., VLDB 2009; Spark MLlib's forests): the large nodes of every
tree of the batch level by level, one call to the shards per level, each
shard returning the histograms of its rows for every open node's drawn
features and the client choosing the splits with the compiled builder's
rules (``_dask_split``); a node with at most ``LOCAL_ROWS`` in-bag rows is
grown whole on one worker by the compiled builder, its rows gathered there
from the shards, worker to worker (``_dask_grow``).

What equals the in-memory forest:

- the bins (the in-memory rule's rows and subsample draw, gathered by
  index; with ``sample_weight``, the weights travel to the client, 8 bytes a
  row), the per-tree seeds and every row's bootstrap weight (each shard
  slices the tree's in-memory ``bootstrap_counts``), so in-bag rows and
  weights are the in-memory forest's for any partitioning;
- with nothing drawn per node (RandomForest with ``max_features=None``,
  bootstrap or not) the trees are the in-memory ones, node for node,
  whenever the builder's own sums are exact in float64 (classes with
  integer weights, integer-valued targets); otherwise the builder adds
  rows in its order, rounding at each step, and a split whose proxy ties
  another's to that rounding (~1e-16 relative) may go the other way.  The
  same holds at the boundary of ``min_weight_fraction_leaf`` and
  ``min_impurity_decrease``, which a subtree's builder gets rescaled to its
  own total weight;
- a forest with drawn features or ExtraTrees cuts is *not* the in-memory
  one: the compiled builder draws them from one stream per tree in the
  order it grows the nodes, which a level-by-level growth cannot follow;
  here a node draws from a seed derived from the tree's seed and the
  node's path (``_dask_grow.node_seed``), and its accuracy is the in-memory
  forest's up to the randomness of the draws (the tests bound the
  difference on real data).

In every configuration the forest is the same, bit for bit, for any number
of partitions and workers: every histogram sum is exact (integers as they
are, other values split on fixed grids, ``_dask_shards.exact_grids``), so
the order in which shards and workers add them does not matter, and a
subtree grows from its rows in partition order.

Served: gini, entropy/log_loss and squared_error, ``sample_weight``,
``bootstrap`` and ``max_samples`` (draws by weight as the installed
scikit-learn draws them), ``max_depth``, ``min_samples_split``,
``min_samples_leaf``, ``min_weight_fraction_leaf``, ``max_features``,
``min_impurity_decrease``, ``ccp_alpha``, one output.  Not served (a
ValueError naming the remedy): ``max_leaf_nodes`` (best-first growth),
``oob_score``, ``warm_start``, ``class_weight``, ``max_bins=None``, the
criteria and constraints the peer fits, several outputs.  A worker lost
mid-fit stops the fit with ``WorkerLost`` (a RuntimeError), never a
different model.  ``predict``, ``predict_proba`` and ``predict_log_proba``
on a Dask collection return lazy Dask arrays (the fitted forest per
block); the fitted attributes are the in-memory forest's.
"""

import functools
import sys
from types import SimpleNamespace

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from gdcore import _dask
from gdcore._dask_resident import (
    actors_by_worker,
    gather_rows,
    raise_if_lost,
    result_while_alive,
)
from gdcore._sklearn_compat import _BOOTSTRAP_TAKES_WEIGHT
from gdcore._threads import effective_n_threads
from gdcore._validation import check_classification_targets
from gdcore.discriminative.tree._bins import QUANTILE_SUBSAMPLE, find_bins
from gdcore.discriminative.tree._common import (
    CRITERIA_CLF,
    CRITERIA_REG,
    SEED_MAX,
    TrainingSet,
    check_forest_size,
    fallback_reason,
)
from gdcore.discriminative.tree._dask_grow import BatchGrower
from gdcore.discriminative.tree._dask_shards import _Group, grow_subtree
from gdcore.discriminative.tree._structure import Tree

# Trees grown together: one call to the shards serves the open large nodes
# of all of them, so a forest costs about depth x n_estimators / TREE_BATCH
# round trips; each tree of a batch holds up to 12 bytes per row on the
# shards (its bootstrap weights and row order).  Measured by the RandomForestClassifier case
# of `gdcore bench dask`.
TREE_BATCH = 16

FORESTS = ("RandomForestClassifier", "ExtraTreesClassifier", "RandomForestRegressor",
           "ExtraTreesRegressor")


class _Shards:
    """The shards of one fit, one group (actor) per worker, or local without a Client."""

    def __init__(self, est, X, y, sample_weight, blocks, y_blocks, w_blocks, classes, ctx):
        self.client = _dask.current_client()
        self.n, self.ctx, self._bins = len(blocks), ctx, None
        args = (est, classes)
        if self.client is None:
            parts = zip(*_dask.compute(blocks, y_blocks, w_blocks))
            self.groups, self.members = [_Group(parts, *args)], [list(range(self.n))]
            self._actors = self.groups
            return
        workers, self.members, self._actors, passes = actors_by_worker(
            self.client, (X, y, sample_weight), blocks, y_blocks, w_blocks, _Group, *args)
        self.workers = {w for w in workers if w is not None}
        self.groups = [self._result(f) for f in self._actors]
        where = self.client.who_has(self._actors)
        self.workers = {a for f in self._actors for a in where.get(f.key, ())}
        passes.release()

    def _result(self, call):
        if self.client is None:
            return call
        return self._alive(call.result)

    def _alive(self, wait):
        return result_while_alive(wait, self.client, self.workers, "the forest fit")

    def _in_order(self, per_group):
        out = [None] * self.n
        for results, members in zip(per_group, self.members):
            for i, r in zip(members, results):
                out[i] = r
        return out

    def call(self, method, *args, each=None):
        """``method(*each[i], *args)`` on every shard; their results in partition order."""
        each = [()] * self.n if each is None else each
        calls = [g.run_each(method, [each[i] for i in m], args)
                 for g, m in zip(self.groups, self.members)]
        return self._in_order([self._result(c) for c in calls])

    def configure(self, n, n_draw, draw_cum, offsets):
        calls = [g.configure(n, n_draw, draw_cum, [int(offsets[i]) for i in m])
                 for g, m in zip(self.groups, self.members)]
        for c in calls:
            self._result(c)

    def start(self, trees):
        return self._in_order([self._result(c) for c in [g.start(trees) for g in self.groups]])

    def run(self, ops):
        """Run the ops on every shard; per group, the histograms asked for (shards added)."""
        calls = [g.run(ops, self.ctx.width, self.ctx.K) for g in self.groups]
        return [self._result(c) for c in calls]

    def end(self, keys):
        for c in [g.end(keys) for g in self.groups]:
            self._result(c)

    def subtree(self, key, node, build):
        if self.client is None:
            return grow_subtree(self.groups, self.members, key, node, build, self.ctx.bins)
        if self._bins is None:
            # the bins (a few hundred KB) travel to each worker once, not per subtree
            self._bins = self.client.scatter(self.ctx.bins, broadcast=True, hash=False)
        return self.client.submit(grow_subtree, self._actors, self.members, key, node, build,
                                  self._bins, pure=False)

    def gather(self, futures):
        """Return the subtrees' results, in order (a lost worker: ``WorkerLost``)."""
        if self.client is None or not futures:
            return futures
        distributed = sys.modules["distributed"]
        self._alive(lambda timeout: distributed.wait(futures, timeout=timeout))
        try:
            return self.client.gather(futures)
        except Exception as exc:
            raise_if_lost(self.client, self.workers, "the forest fit", exc)
            raise

    def release(self):
        self.groups, self._actors, self._bins = [], [], None


class _RowsOnShards:
    """X's rows (or its positive-weight rows) on the shards, read by ``find_bins`` by index."""

    def __init__(self, shards, offsets, rows, d):
        self.shards, self.offsets, self.rows = shards, offsets, rows
        self.shape = (len(rows), d)

    def __getitem__(self, index):
        return gather_rows(self.shards, self.offsets, self.rows[index])


def _check_served(est, X, y):
    reason = fallback_reason(est, X, y)
    if reason is None and est.criterion == "poisson":
        reason = "criterion='poisson'"
    if reason is None and est.max_bins is None:
        reason = "max_bins=None"
    if reason is not None:
        raise ValueError(f"{type(est).__name__} on a Dask collection is not served for "
                         f"{reason}: compute X into memory (X.compute()) for it.")
    for name, value, remedy in (
            ("max_leaf_nodes", est.max_leaf_nodes, "use max_depth"),
            ("oob_score", est.oob_score, "score on a held-out Dask collection"),
            ("warm_start", est.warm_start, "fit all the trees at once"),
            ("class_weight", getattr(est, "class_weight", None),
             "pass the class weights as sample_weight")):
        if value not in (None, False):
            raise ValueError(f"{name}={value!r} is not served on a Dask collection: "
                             f"{remedy}, or compute X into memory (X.compute()).")
    if not est.bootstrap and est.max_samples is not None:
        raise ValueError("`max_sample` cannot be set if `bootstrap=False`. Either switch "
                         "to `bootstrap=True` or set `max_sample=None`.")


def _targets(est, y_blocks):
    """Rows per partition, and the sorted classes (None for a regressor)."""
    delayed = _dask._dask().delayed
    parts = _dask.compute(*[delayed(_labels, pure=True)(b, est._is_classifier)
                            for b in y_blocks])
    sizes = np.array([p[0] for p in parts], dtype=np.int64)
    if not est._is_classifier:
        return sizes, None
    classes = functools.reduce(np.union1d, [p[1] for p in parts])
    check_classification_targets(classes)
    return sizes, classes


def _labels(y_part, classifier):
    """Rows of one partition of y, and its sorted labels for a classifier."""
    return len(y_part), (_dask.unique_labels(y_part) if classifier else None)


def _fit_bins(est, shards, offsets, d, weight):
    """Return the in-memory fit's bins: from its positive-weight rows and subsample."""
    n = int(offsets[-1])
    rows = np.arange(n) if weight is None else np.flatnonzero(weight > 0)
    rng = check_random_state(est.random_state)
    if len(rows) > QUANTILE_SUBSAMPLE:
        return find_bins(_RowsOnShards(shards, offsets, rows, d), est.max_bins, rng)
    return find_bins(gather_rows(shards, offsets, rows), est.max_bins, rng)


@_dask.implements(*(f"{name}.fit" for name in FORESTS))
def fit(estimator, X, y=None, sample_weight=None):
    """RandomForest*/ExtraTrees*.fit on a Dask collection (see the module docstring)."""
    est = estimator
    est._validate_params()
    check_forest_size(est.n_estimators)
    if y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y "
                         "is None.")
    X = _dask.as_row_collection(X)
    _check_served(est, X, y)
    _dask.set_feature_metadata(est, X)
    d = est.n_features_in_
    blocks = _dask.row_blocks(X)
    y_blocks = _dask.aligned_blocks(y, X, "y")
    w_blocks = _dask.aligned_blocks(sample_weight, X, "sample_weight") or [None] * len(blocks)
    sizes, classes = _targets(est, y_blocks)
    keep = np.flatnonzero(sizes > 0)  # empty partitions (a filtered frame's): no shard
    blocks, y_blocks, w_blocks = ([c[i] for i in keep] for c in (blocks, y_blocks, w_blocks))
    offsets = np.concatenate([[0], np.cumsum(sizes[keep])])
    n = int(offsets[-1])
    if n < 2:
        raise ValueError(f"A tree needs at least 2 samples to fit, got {n} sample(s).")
    classifier = est._is_classifier
    K = len(classes) if classifier else 1
    # what ``_wrap`` and ``limits`` read of a TrainingSet
    info = SimpleNamespace(X=SimpleNamespace(shape=(n, d)), n_outputs=1,
                           classes=[classes], n_classes=np.array([K]))
    limits = TrainingSet.limits(info, est)
    info.limits = lambda _: limits
    template = clone(est)
    for name in ("n_features_in_", "feature_names_in_"):
        if name in vars(est):
            setattr(template, name, getattr(est, name))
    ctx = SimpleNamespace(
        K=K, classifier=classifier, d=d, limits=limits, n_jobs=est.n_jobs,
        entropy=classifier and est.criterion in ("entropy", "log_loss"),
        criterion=(CRITERIA_CLF if classifier else CRITERIA_REG)[est.criterion],
        mtry=limits["max_features"], random_splitter=limits["random_splitter"])
    shards = _Shards(template, X, y, sample_weight, blocks, y_blocks, w_blocks, classes, ctx)
    try:
        weight = None
        if sample_weight is not None:
            weight = np.concatenate(shards.call("weights"))
            if not weight.sum() > 0:
                raise ValueError("sample_weight sums to zero: no sample would be used.")
        ctx.bins = _fit_bins(est, shards, offsets, d, weight)
        ctx.width = int(ctx.bins.n_bins.max()) + 1
        ctx.shards = shards
        shards.call("bin", ctx.bins)
        est._sample_weight = weight
        est._draw_by_weight = bool(est.bootstrap and weight is not None
                                   and _BOOTSTRAP_TAKES_WEIGHT)
        n_draw = est._n_draw(n) if est.bootstrap else 0
        shards.configure(n, n_draw, est._draw_cum(), offsets)
        # class weights of integer row weights are sums of integers, exact in
        # float64 in any order; other sums are made exact (_dask_shards)
        ctx.exact_as_is = classifier and (weight is None or bool(
            np.all(weight == np.rint(weight)) and weight.sum() * max(n_draw, 1) < 2.0 ** 52))
        states = check_random_state(est.random_state).randint(np.iinfo(np.int32).max,
                                                              size=est.n_estimators)
        seeds = [int(check_random_state(int(r)).randint(SEED_MAX, dtype=np.int64))
                 for r in states]
        grown = []
        for lo in range(0, len(seeds), TREE_BATCH):
            batch = list(enumerate(seeds))[lo: lo + TREE_BATCH]
            grown += BatchGrower(ctx, batch).grow()
    finally:
        shards.release()
    est._n_samples, est._n_draw_fitted = n, n_draw
    est._n_samples_bootstrap = n_draw if est.bootstrap else None
    est.n_outputs_ = 1
    class_offset = np.zeros(1, dtype=np.int32)
    trees = [Tree(nodes, values, depth, d, 1, info.n_classes, classifier, class_offset)
             for nodes, values, depth in grown]
    est.estimators_ = [est._wrap(t, info, int(r)) for t, r in zip(trees, states)]
    est._seeds = seeds
    if classifier:
        est.classes_, est.n_classes_ = classes, K
    est._pack(effective_n_threads(est.n_jobs))
    return est


def _classes_dtype(est):
    return est.classes_.dtype.type


for _name in FORESTS:
    if _name.endswith("Classifier"):
        _dask.implements(f"{_name}.predict")(_dask.rowwise("predict", lambda e: None,
                                                           _classes_dtype))
        _dask.implements(f"{_name}.predict_proba")(
            _dask.rowwise("predict_proba", lambda e: len(e.classes_), np.float64))
        _dask.implements(f"{_name}.predict_log_proba")(
            _dask.rowwise("predict_log_proba", lambda e: len(e.classes_), np.float64))
    else:
        _dask.implements(f"{_name}.predict")(_dask.rowwise("predict", lambda e: None))
