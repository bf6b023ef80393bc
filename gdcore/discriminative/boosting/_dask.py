"""HistGradientBoosting on a Dask collection: histograms per partition, splits on the client.

As XGBoost and LightGBM do on Dask, the rows never leave the workers: each
partition becomes a *shard* that holds its bin codes, targets, weights, raw
predictions, gradients and the current tree's row order, and the client
grows the trees with the in-memory grower (``_grower.TreeGrower``, best-first,
the same gains, constraints and tie-breaking) on histograms that are the sum
of the shards' histograms.

A tree costs one round trip to every shard per split: the shard partitions
the parent's rows by the split and builds the smaller child's histograms in
the same call (``DaskTreeGrower._partition``); the client adds the shards'
histograms in partition order and gets the larger child's by subtraction.
Calls that return nothing the client needs (a partition whose children are
both leaves, a tree's leaf values added to the raw predictions) are queued
and sent with the next call.  The first call of a tree computes the
gradients (at a new iteration) and the root's histograms.

What keeps the state on the workers: the shards of the partitions a worker
holds live in one Dask *actor* there (an object on one worker, its methods
called from the client straight to that worker; one message per worker and
call).  An actor is never moved by work stealing and never recomputed from
its lineage, so its state cannot be silently replaced by a stale copy (a
result mutated in place, or a worker-side dict keyed by task, can be both);
and a call goes client -> worker -> client without the scheduler, the
cheapest round trip Dask offers, which is what a split costs.  A worker lost
mid-fit loses its shards: the fit stops with ``WorkerLost`` (a RuntimeError)
within about ``LIVENESS_SECONDS`` (both in ``gdcore._dask_resident``; refit:
persisting X makes the rebuild cheap), never a different model.
Without a ``distributed.Client`` (Dask's local scheduler) the shards are
plain objects in the client process.

Bins: the thresholds are computed on the client from the rows the in-memory
fit bins on (all rows up to 200,000; above, the subsample drawn by the same
rule from the same seed, gathered by index from the partitions; with
``sample_weight`` the draw needs the weights, 8 bytes a row, on the client),
so the bin mapper is the in-memory one.  The per-row work (codes, gradients,
partitions, leaf values) is the in-memory kernels' on each shard, so the raw
predictions equal the in-memory fit's up to the order in which histogram
sums are added (~1e-15 relative; a split whose gain ties another's to
rounding may then go the other way).

Served on a Dask collection: the losses squared_error, poisson, gamma and
log_loss, ``sample_weight``, ``class_weight``, ``monotonic_cst``,
``interaction_cst``, ``max_features``, ``subsample``, ``colsample_bytree``.
Early stopping: ``"auto"`` resolves to off (logged at DEBUG level: scoring
needs a held-out split of the partitions).  ``early_stopping=True``,
``X_val``, ``warm_start``, categorical features, absolute_error and quantile
(each leaf set to a quantile of its residuals, which sums over partitions do
not give) are ValueErrors naming the remedy.
``predict``, ``predict_proba`` and ``decision_function`` on a Dask
collection return lazy Dask arrays (the fitted forest per block).
"""

import functools
import logging
from time import perf_counter

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight

from gdcore import _dask
from gdcore._dask_resident import (
    WorkerLost,
    actors_by_worker,
    gather_rows,
    raise_if_lost,
    result_while_alive,
)
from gdcore._sklearn_compat import hist_bin_subsample
from gdcore._threads import effective_n_threads
from gdcore._validation import check_classification_targets, check_sample_weight, check_X
from gdcore.discriminative.boosting import _boosting_rows
from gdcore.discriminative.boosting._base import AUTO_EARLY_STOPPING_ROWS
from gdcore.discriminative.boosting._binning import QUANTILE_SUBSAMPLE, Bins
from gdcore.discriminative.boosting._grower import TreeGrower, _Node
from gdcore.discriminative.boosting._loss import make_loss
from gdcore.discriminative.boosting._predictor import BoostedTree, Forest

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- worker side

class _Shard:
    """One partition's rows and the fit's per-row state, on the worker holding it.

    Built from the partition's X, y and weights (validated as the in-memory
    fit validates them); X is kept only until ``bin`` turns it into codes.
    """

    def __init__(self, X, y, w, est, classes, class_weight):
        X = check_X(est, X, reset=False, allow_nan=True, dtype=[np.float64, np.float32],
                    kernel_checks_finite=True)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if len(y) != len(X):
            raise ValueError(f"y has {len(y)} rows in a partition where X has {len(X)}: "
                             "partition y like X.")
        sw = None if w is None else check_sample_weight(np.asarray(w), X)
        if classes is not None:
            idx = np.searchsorted(classes, y)
            y = idx.astype(np.float64)
            if class_weight is not None:
                weights = class_weight[idx]
                sw = weights if sw is None else sw * weights
        else:
            y = np.ascontiguousarray(y, dtype=np.float64)
        self.X, self.y, self.sw = X, y, sw
        self.n_threads = effective_n_threads(est.n_jobs)

    def stats(self, n_classes):
        """Return the sums the client needs: weight (per class) and weighted target, y's range."""
        y, sw = self.y, self.sw
        if n_classes:
            per_class = np.bincount(y.astype(np.intp), weights=sw, minlength=n_classes)
            return dict(per_class=per_class.astype(np.float64))
        wsum = float(len(y)) if sw is None else float(sw.sum())
        wy = float(y.sum()) if sw is None else float(np.multiply(y, sw).sum())
        return dict(wsum=wsum, wy=wy, ysum=float(y.sum()),
                    ymin=float(y.min()) if len(y) else np.inf)

    def weights(self):
        return self.sw

    def take(self, rows):
        return self.X[rows]

    def bin(self, bins, loss_name, n_outputs, baseline):
        """Codes of X (X dropped), raw predictions at the baseline; return has_missing."""
        codes = bins.transform(self.X, self.n_threads)
        self.X = None
        self.codes, self.codes_rows = codes, np.ascontiguousarray(codes.T)
        self.n_bins, self.missing_code = bins.n_bins, bins.missing_code
        n = codes.shape[1]
        self.loss = make_loss(loss_name, n_outputs, self.sw)
        self.raw = np.repeat(np.asarray(baseline, dtype=np.float64)[:, None], n, axis=1)
        self.g = np.empty((self.raw.shape[0], n), dtype=np.float32)
        self.h = np.empty_like(self.g)
        if self.loss.constant_hessian:
            self.h[:] = 1.0
        return (codes == self.missing_code[:, None].astype(codes.dtype)).any(axis=1)

    def run(self, ops):
        """Apply ``ops`` in order; return the outputs of the ``split`` and ``hist`` ops."""
        out = []
        for op in ops:
            result = getattr(self, "_" + op[0])(*op[1:])
            if result is not None:
                out.append(result)
        return out

    def _tree(self, k, new_iteration, rows, features, n_global):
        """Start tree k: gradients (new iteration), rows in order, the root node."""
        if new_iteration:
            self.loss.gradient_hessian(self.y, self.raw, self.sw, self.g, self.h,
                                       self.n_threads)
        n = self.codes.shape[1]
        all_rows = rows is None
        self.rows = np.arange(n, dtype=np.int32) if all_rows else rows
        # the shard's grower only builds histograms: the constraints are the client's
        d = len(self.n_bins)
        data = dict(codes=self.codes, codes_rows=self.codes_rows, n_bins=self.n_bins,
                    monotonic_cst=np.zeros(d, np.int8), is_categorical=np.zeros(d, np.uint8))
        self.grower = TreeGrower(data, self.rows, all_rows, self.g[k], self.h[k],
                                 self.loss.constant_hessian, features, None, self.n_threads)
        self.k = k
        # node -> its rows here, self.rows[lo:hi]; a node is named by its
        # (start, stop) on the client, unique among the leaves of the tree
        self.ranges = {(0, n_global): (0, len(self.rows))}

    def _split(self, parent, left, right, f, b, mleft, bits):
        lo, hi = self.ranges.pop(parent)
        # this shard's left count is unknown here: the kernel counts it
        out = self.grower.buffer[:hi - lo]
        n_left = _boosting_rows.partition(self.codes, self.rows[lo:hi], out, f, b,
                                          int(self.missing_code[f]), mleft, bits, -1,
                                          self.n_threads)
        self.rows[lo:hi] = out
        self.ranges[left] = (lo, lo + n_left)
        self.ranges[right] = (lo + n_left, hi)
        return n_left

    def _hist(self, node, features):
        lo, hi = self.ranges[node]
        return self.grower._hist(_Node(0, lo, hi, 0.0, 0.0, 0.0), features)[features]

    def _leaves(self, keys, values, tree):
        """Add the finished tree's leaf values to its rows' raw predictions.

        ``tree``: the node arrays, to walk the rows left out by ``subsample``.
        """
        bounds = np.array([self.ranges[key] for key in keys], dtype=np.int64).reshape(-1, 2)
        _boosting_rows.add_leaf_values(self.raw[self.k], self.rows, bounds[:, 0].copy(),
                                       bounds[:, 1].copy(), values, self.n_threads)
        if tree is not None:
            mask = np.ones(self.codes.shape[1], dtype=bool)
            mask[self.rows] = False
            _boosting_rows.predict_binned(
                self.codes, np.flatnonzero(mask).astype(np.int32), tree["left"],
                tree["right"], tree["feature"], tree["bin"], tree["missing_left"],
                self.missing_code, tree["is_cat"], tree["cat_bits"], tree["value"],
                self.raw[self.k], self.n_threads)
        self.grower = self.ranges = None


# ---------------------------------------------------------------- client side

class _Group:
    """The shards of the partitions one worker holds: one actor, one message per call."""

    def __init__(self, parts, est, classes, class_weight):
        self.shards = [_Shard(X, y, w, est, classes, class_weight) for X, y, w in parts]

    def run_each(self, method, each, args):
        """``method(*each[i], *args)`` on the group's shards, in order."""
        return [getattr(s, method)(*e, *args) for s, e in zip(self.shards, each)]


class _Shards:
    """The shards of one fit, grouped by worker (actors), or local without a Client.

    One actor per worker, not per partition: a call costs one message per
    worker, and the worker runs its shards one after the other as its single
    actor thread would anyway.  Results stay per partition, so the client
    adds them in partition order whatever the placement.
    """

    def __init__(self, est, X, y, sample_weight, blocks, y_blocks, w_blocks, classes,
                 class_weight):
        self.client = _dask.current_client()
        self.n = len(blocks)
        args = (est, classes, class_weight)
        if self.client is None:
            parts = zip(*_dask.compute(blocks, y_blocks, w_blocks))
            self.groups, self.members = [_Group(parts, *args)], [list(range(self.n))]
            return
        # Every block is computed once, into its shard: the shards keep the
        # codes, X's blocks are then released.
        _, self.members, self._actors, passes = actors_by_worker(
            self.client, (X, y, sample_weight), blocks, y_blocks, w_blocks, _Group, *args)
        self.groups = [f.result() for f in self._actors]
        where = self.client.who_has(self._actors)
        self.workers = {a for f in self._actors for a in where.get(f.key, ())}
        passes.release()

    def call(self, method, *args, each=None):
        """``method(*each[i], *args)`` on every shard; their results in partition order."""
        each = [()] * self.n if each is None else each
        out = [None] * self.n
        if self.client is None:
            calls = [g.run_each(method, [each[i] for i in m], args)
                     for g, m in zip(self.groups, self.members)]
        else:
            try:
                futures = [g.run_each(method, [each[i] for i in m], args)
                           for g, m in zip(self.groups, self.members)]
                calls = [result_while_alive(f.result, self.client, self.workers,
                                            "the boosting fit") for f in futures]
            except WorkerLost:
                raise
            except Exception as exc:
                raise_if_lost(self.client, self.workers, "the boosting fit", exc)
                raise
        for results, members in zip(calls, self.members):
            for i, r in zip(members, results):
                out[i] = r
        return out

    def release(self):
        self.groups = []
        self._actors = []


class _Each(list):
    """One op argument with a value per shard (``_Queue``)."""


class _Queue:
    """Ops to send with the next call to the shards (one round trip for all)."""

    def __init__(self, shards):
        self.shards, self.ops = shards, []

    def send(self, *ops):
        """Send the queued ops and ``ops``; return the shards' outputs (partition order)."""
        ops, self.ops = self.ops + list(ops), []
        if not any(isinstance(a, _Each) for op in ops for a in op):
            return self.shards.call("run", ops)
        each = [([tuple(a[p] if isinstance(a, _Each) else a for a in op) for op in ops],)
                for p in range(self.shards.n)]
        return self.shards.call("run", each=each)


def _summed(outputs):
    """Return the histograms of every shard, added in partition order (a fixed rounding)."""
    return functools.reduce(np.add, outputs)


class DaskTreeGrower(TreeGrower):
    """The in-memory grower whose node histograms and partitions are the shards'.

    ``rows`` is only the global row count: the rows stay on the workers.
    """

    def __init__(self, queue, data, n, features, params, constant_hessian, n_threads):
        super().__init__(data, np.empty(n, dtype=np.int32), False, np.empty(0, np.float32),
                         np.empty(0, np.float32), constant_hessian, features, params,
                         n_threads)
        self.queue = queue

    def _hist(self, node, features):
        hist = self._new_hist()
        outputs = self.queue.send(("hist", (node.start, node.stop), features))
        hist[features] = _summed([o[-1] for o in outputs])
        return hist

    def _partition(self, node, small_features):
        nl = node.split[6]
        if small_features is None:  # nothing to wait for: sent with the next call
            self.queue.ops.append(_split_op(node))
            return nl, None
        left, right = node.left, node.right
        small = left if left.n < right.n else right
        outputs = self.queue.send(_split_op(node),
                                  ("hist", (small.start, small.stop), small_features))
        n_left = sum(int(o[-2]) for o in outputs)
        if n_left != nl:
            raise RuntimeError(f"The shards partitioned {n_left} rows left where the "
                               f"histograms counted {nl}: the fit's state on the workers "
                               "is inconsistent; refit.")
        early = self._new_hist()
        early[small_features] = _summed([o[-1] for o in outputs])
        return nl, early


def _split_op(node):
    _, f, b, mleft, _, _, nl, bits = node.split
    start, stop = node.start, node.stop
    return ("split", (start, stop), (start, start + nl), (start + nl, stop), f, b, mleft, bits)


# ---------------------------------------------------------------- fit

def _check_served(est, X, sample_weight, fit_params):
    reason = est._fallback_reason(X, None, sample_weight=sample_weight)
    if reason is None and est.loss in ("absolute_error", "quantile"):
        # their leaf values are quantiles of each leaf's residuals, not sums
        reason = f"loss={est.loss!r}"
    if reason is not None:
        raise ValueError(f"{type(est).__name__} on a Dask collection fits the losses "
                         "squared_error, poisson, gamma and log_loss only ("
                         f"{reason} is not served there): compute X into memory "
                         "(X.compute()) for it.")
    if any(v is not None for v in fit_params.values()):
        raise ValueError("X_val, y_val and sample_weight_val are not served on a Dask "
                         "collection: fit with early_stopping=False, or compute X.")
    if est.early_stopping is True:
        raise ValueError("early_stopping=True is not served on a Dask collection (scoring "
                         "needs a held-out split of the partitions): use "
                         "early_stopping=False, or compute X into memory.")
    if est.warm_start and hasattr(est, "_forest"):
        raise ValueError("warm_start is not served on a Dask collection: refit with "
                         "warm_start=False.")
    cats = est.categorical_features
    has_cat = cats is not None and not (isinstance(cats, str) and cats == "from_dtype")
    if isinstance(cats, str) and cats == "from_dtype" and _dask._is_dataframe_like(X):
        dtypes = list(X.dtypes) if X.ndim == 2 else [X.dtype]
        has_cat = any(getattr(t, "name", "") == "category" for t in dtypes)
    if has_cat:
        raise ValueError("Categorical features are not served on a Dask collection: encode "
                         "them as numbers (categorical_features=None) or compute X.")


def _fit_bins(est, shards, offsets, weighted):
    """Return the in-memory fit's bins, from the same rows (and subsample draw) as in memory."""
    n = int(offsets[-1])
    rng = check_random_state(est._random_seed)
    if n > QUANTILE_SUBSAMPLE:
        sw = np.concatenate(shards.call("weights")) if weighted else None
        rows = hist_bin_subsample(rng, n, QUANTILE_SUBSAMPLE, sw)
        return Bins(gather_rows(shards, offsets, rows), est.max_bins, rng)
    X = np.concatenate(shards.call("take", each=[(slice(None),)] * (len(offsets) - 1)))
    sw = np.concatenate(shards.call("weights")) if weighted else None
    return Bins(X, est.max_bins, rng, None, sw)


def _targets(est, y_blocks):
    """Rows per partition, and the classes (None for a regressor) with their counts."""
    delayed = _dask._dask().delayed
    parts = _dask.compute(*[delayed(_dask.unique_labels, pure=True)(b, True) for b in y_blocks])
    sizes = np.array([c.sum() for _, c in parts], dtype=np.int64)
    if not est._stratify:
        return sizes, None, None
    classes = functools.reduce(np.union1d, [labels for labels, _ in parts])
    check_classification_targets(classes)
    counts = np.zeros(len(classes), dtype=np.int64)
    for labels, c in parts:
        counts[np.searchsorted(classes, labels)] += c
    return sizes, classes, counts


def _class_weight(est, counts):
    """Per-class weights, as ``compute_sample_weight`` gives them to the rows."""
    if est.class_weight is None:
        return None
    K = len(counts)
    if est.class_weight == "balanced":
        return counts.sum() / (K * counts.astype(np.float64))
    return compute_sample_weight(est.class_weight, np.arange(K, dtype=np.float64))


def _baseline(est, loss, stats):
    """Return the loss's baseline from the shards' sums (the in-memory weighted mean)."""
    if est._stratify:
        per_class = functools.reduce(np.add, [s["per_class"] for s in stats])
        # a weighted average of the class labels has the same value
        return loss.baseline(np.arange(len(per_class), dtype=np.float64), per_class)
    wsum = sum(s["wsum"] for s in stats)
    if not wsum > 0:
        raise ValueError("The sample weights sum to zero: there is nothing to fit.")
    mean = sum(s["wy"] for s in stats) / wsum
    return loss.baseline(np.array([mean]), None)


def _check_positive(est, stats):
    ymin = min(s["ymin"] for s in stats)
    ysum = sum(s["ysum"] for s in stats)
    if est.loss == "poisson" and (ymin < 0 or ysum <= 0):
        raise ValueError("loss='poisson' requires non-negative y and sum(y) > 0; use "
                         "loss='squared_error' for targets with negative values.")
    if est.loss == "gamma" and ymin <= 0:
        raise ValueError("loss='gamma' requires strictly positive y; use loss='poisson' "
                         "for counts with zeros.")


@_dask.implements("HistGradientBoostingClassifier.fit", "HistGradientBoostingRegressor.fit")
def fit(estimator, X, y=None, sample_weight=None, **fit_params):
    """HistGradientBoosting*.fit on a Dask collection (see the module docstring)."""
    est = estimator
    est._validate_params()
    if y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y "
                         "is None.")
    X = _dask.as_row_collection(X)
    _check_served(est, X, sample_weight, fit_params)
    _dask.set_feature_metadata(est, X)
    d = est.n_features_in_
    blocks = _dask.row_blocks(X)
    y_blocks = _dask.aligned_blocks(y, X, "y")
    w_blocks = _dask.aligned_blocks(sample_weight, X, "sample_weight") or [None] * len(blocks)
    sizes, classes, counts = _targets(est, y_blocks)
    # empty partitions (a filtered DataFrame's) hold no rows: no shard
    keep = np.flatnonzero(sizes > 0)
    if not len(keep):
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required: "
                         "X has no rows.")
    blocks, y_blocks, w_blocks = ([c[i] for i in keep] for c in (blocks, y_blocks, w_blocks))
    offsets = np.concatenate([[0], np.cumsum(sizes[keep])])
    n = int(offsets[-1])
    if est._stratify:
        est.classes_ = classes
        est._n_outputs = 1 if len(classes) <= 2 else len(classes)
        est.n_trees_per_iteration_ = est._n_outputs
    est._encoding, est.is_categorical_ = None, None
    monotonic = est._check_monotonic_cst(d)
    interaction = est._check_interaction_cst(d)
    rng = check_random_state(est.random_state)
    est._random_seed = int(rng.randint(np.iinfo(np.uint32).max, dtype="u8"))
    est._feature_rng = np.random.default_rng(int(rng.randint(np.iinfo(np.uint32).max,
                                                             dtype="u8")))
    if est.early_stopping == "auto" and n > AUTO_EARLY_STOPPING_ROWS:
        logger.debug("early_stopping='auto' on a Dask collection of %d rows: off (scoring "
                     "needs a held-out split of the partitions).", n)
    est.do_early_stopping_ = est._use_validation = False
    # what the shards validate their rows against: the parameters and the
    # feature metadata, not a previous fit's trees
    template = clone(est)
    for name in ("n_features_in_", "feature_names_in_"):
        if name in vars(est):
            setattr(template, name, getattr(est, name))
    shards = _Shards(template, X, y, sample_weight, blocks, y_blocks, w_blocks, classes,
                     _class_weight(est, counts) if est._stratify else None)
    try:
        stats = shards.call("stats", len(classes) if est._stratify else 0)
        loss_name = est.loss if isinstance(est.loss, str) else ""
        weighted = sample_weight is not None or (est._stratify and
                                                 est.class_weight is not None)
        loss = make_loss(loss_name, est._n_outputs, np.empty(0) if weighted else None)
        if est.loss in ("poisson", "gamma"):
            _check_positive(est, stats)
        est._baseline = _baseline(est, loss, stats)
        est._bins = _fit_bins(est, shards, offsets, weighted)
        has_missing = np.logical_or.reduce(
            shards.call("bin", est._bins, loss_name, est._n_outputs, est._baseline))
        data = dict(n_bins=est._bins.n_bins, missing_code=est._bins.missing_code,
                    has_missing=has_missing.astype(np.uint8), monotonic_cst=monotonic,
                    interaction_cst=interaction, is_categorical=np.zeros(d, np.uint8))
        est._trees = []
        est.train_score_, est.validation_score_ = np.asarray([]), np.asarray([])
        _boost(est, _Queue(shards), data, offsets, loss.constant_hessian)
    finally:
        shards.release()
    n_threads = effective_n_threads(est.n_jobs)
    est._forest = Forest(est._trees, est._baseline, n_threads, None)
    importances = est._forest.importances(d, est.importance_type)
    total = importances.sum()
    est.feature_importances_ = importances / total if total > 0 else importances
    return est


def _boost(est, queue, data, offsets, constant_hessian):
    """Run the in-memory boosting loop (``_base._boost``), the trees grown on the shards."""
    n, K = int(offsets[-1]), est._n_outputs
    all_features = np.arange(len(data["n_bins"]), dtype=np.int32)
    rng = np.random.RandomState(est._random_seed)
    n_threads = effective_n_threads(est.n_jobs)
    params = dict(max_leaf_nodes=est.max_leaf_nodes, max_depth=est.max_depth,
                  min_samples_leaf=est.min_samples_leaf, l2=est.l2_regularization,
                  min_hessian=1e-3, shrinkage=est.learning_rate,
                  feature_fraction=est.max_features, rng=est._feature_rng)
    for it in range(est.max_iter):
        tic = perf_counter()
        rows, features = est._draws(rng, n, all_features)
        local = None
        if len(rows) < n:
            part = np.searchsorted(offsets, rows, side="right") - 1
            local = _Each((rows[part == p] - offsets[p]).astype(np.int32)
                          for p in range(len(offsets) - 1))
        trees = []
        for k in range(K):
            # sent with the root's histograms: one call per shard
            queue.ops.append(("tree", k, k == 0, local, features, len(rows)))
            grower = DaskTreeGrower(queue, data, len(rows), features, params,
                                    constant_hessian, n_threads)
            arrays = grower.grow()
            leaves = arrays["leaf_start"] >= 0
            keys = list(zip(arrays["leaf_start"][leaves].tolist(),
                            arrays["leaf_stop"][leaves].tolist()))
            queue.ops.append(("leaves", keys, arrays["value"][leaves],
                              arrays if len(rows) < n else None))
            trees.append(BoostedTree.from_grower(arrays, est._bins))
        est._trees.append(trees)
        if est.verbose:
            est._print_iteration(it, trees, perf_counter() - tic)


# ---------------------------------------------------------------- prediction

def _n_decision(est):
    return None if est._n_outputs == 1 else est._n_outputs


for _cls in ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"):
    _dask.implements(f"{_cls}.predict")(_dask.rowwise(
        "predict", lambda e: None,
        lambda e: e.classes_.dtype.type if hasattr(e, "classes_") else np.float64))
_dask.implements("HistGradientBoostingClassifier.predict_proba")(
    _dask.rowwise("predict_proba", lambda e: len(e.classes_), np.float64))
_dask.implements("HistGradientBoostingClassifier.decision_function")(
    _dask.rowwise("decision_function", _n_decision, np.float64))
