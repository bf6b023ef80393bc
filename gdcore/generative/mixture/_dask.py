"""GaussianMixture on a Dask collection: EM whose E-step runs on the workers.

``GaussianMixture`` keeps its own EM loop (restarts, warm start, verbose,
convergence); only the object holding the rows changes.  ``DaskMixtureData``
offers what the loop asks of ``MixtureData``: its ``e_step`` maps the compiled
E-step (``MixtureData.e_step`` on each block, NaN marginalized as on one
machine) over the blocks on the workers and adds the blocks' sufficient
statistics in block order (``gdcore._dask.BlockPasses.run``); the client
receives O(k d^2) numbers per block and iteration and runs the M-step.  X is never gathered:
its blocks are persisted on the workers for the fit when they fit in the
workers' memory, else recomputed there at each pass (an out-of-core fit;
``gdcore._dask.BlockPasses``).

Initialization.  ``init_params`` ("kmeans", "k-means++", "random",
"random_from_data") runs on the client on a sample of at most
``INIT_SAMPLE_ROWS`` rows drawn uniformly without replacement (fixed seeds,
the same sample on every run), NaN filled with the column means of the whole
data; EM then runs on all rows.  A distributed k-means++ would need k passes
over X for a starting point that EM refines anyway; a sample of 100,000 rows
places k <= a few hundred centres as well.  When X has at most that many
rows the sample is all of X, in order, so the fit equals the in-memory fit
from the same ``random_state``; on larger X pass ``weights_init``,
``means_init`` and ``precisions_init`` for the in-memory fit's exact answer.
"""

import numpy as np

from gdcore import _dask
from gdcore._threads import effective_n_threads
from gdcore._validation import check_sample_weight, check_X
from gdcore.generative.mixture import _em as em
from gdcore.generative.mixture._data import MixtureData

INIT_SAMPLE_ROWS = 100_000


def _block(part, dtype):
    return np.ascontiguousarray(part, dtype=dtype)


def _weights(part, n):
    if part is None:
        return None
    return np.ascontiguousarray(np.asarray(part, dtype=np.float64).reshape(n))


def _summary(part, w_part, estimator):
    """Validate one block; its counts and the sums the initialization and tied model use."""
    X = check_X(estimator, part, reset=False, allow_nan=True)
    n, d = X.shape
    w = _weights(w_part, n)
    if w is not None:
        w = check_sample_weight(w, X)
    missing = np.isnan(X)
    if missing.all(axis=1).any():
        raise ValueError("X has a row with every value missing (NaN); drop it.")
    ww = np.ones(n) if w is None else w
    complete = ~missing.any(axis=1)
    Xc = X[complete].astype(np.float64)
    return (np.array([n, ww.sum(), ww[complete].sum()], dtype=np.float64),
            (~missing).sum(axis=0).astype(np.float64),
            np.nansum(X, axis=0, dtype=np.float64),
            ww[complete] @ Xc)


def _scatter(part, w_part, centre, dtype):
    """Weighted scatter of a block's complete rows around the tied centre."""
    X = _block(part, dtype)
    w = _weights(w_part, len(X))
    complete = ~np.isnan(X).any(axis=1)
    D = X[complete].astype(np.float64) - centre
    wc = np.ones(len(D)) if w is None else w[complete]
    return (D * wc[:, None]).T @ D


def _sample(part, w_part, take, dtype):
    X = _block(part, dtype)
    w = _weights(w_part, len(X))
    if take is not None:
        X = X[take]
        w = None if w is None else w[take]
    return X, w


def _e_step(part, w_part, params, dtype, covariance_type, tied_centre, n_jobs):
    """One block's E-step statistics (as float64 arrays) and its weighted log-likelihood."""
    X = _block(part, dtype)
    data = MixtureData(X, _weights(w_part, len(X)), effective_n_threads(n_jobs))
    if tied_centre is not None:
        # The tied model's scatter is taken around one centre for all blocks
        # (the complete rows' mean of the whole X); only the centre is read here.
        data._total_scatter = (tied_centre, None)
    _, log_norm, stats = data.e_step(params, covariance_type, want_stats=True)
    w = data.sample_weight
    total = log_norm.sum() if w is None else w @ log_norm
    return (stats.nk, stats.sx, stats.scatter, stats.tied_extra, np.float64(total))


class DaskMixtureData:
    """The rows of a Dask collection, as GaussianMixture's EM loop uses MixtureData."""

    def __init__(self, estimator, X, sample_weight):
        self.estimator = estimator
        self.X = _dask.as_row_collection(X)
        self.blocks = _dask.row_blocks(self.X)
        self.w_blocks = (_dask.aligned_blocks(sample_weight, self.X, "sample_weight")
                         or [None] * len(self.blocks))
        self.dtype = _dask.float_dtype(self.X)
        self.n_features = estimator.n_features_in_
        self.n_jobs = estimator.n_jobs
        self._start = self._scatter_total = None
        # Persisted for the fit when X fits in the workers' memory: EM reads it every iteration.
        self.passes = _dask.BlockPasses((self.X, sample_weight), _dask.nbytes(self.X),
                                        X=self.blocks, w=self.w_blocks)
        counts, observed, sums, complete_sum = self.passes.run(
            _summary, ("X", "w"), _dask.add_arrays, estimator)
        self.n_samples, self.weight_total, complete_weight = counts
        self.n_samples = int(self.n_samples)
        self.observed, self.nanmean = observed, sums / np.maximum(observed, 1)
        self.tied_centre = (complete_sum / complete_weight if complete_weight > 0
                            else self.nanmean)
        self.has_complete = complete_weight > 0

    def check(self, n_components, reset):
        if reset and self.n_samples < 2:
            raise ValueError(f"Found array with {self.n_samples} sample(s) while a minimum "
                             "of 2 is required by GaussianMixture.")
        if reset and self.n_samples < n_components:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = "
                             f"{n_components}, n_samples = {self.n_samples}")
        if reset and (self.observed == 0).any():
            raise ValueError("X has a column with every value missing (NaN); drop it.")
        if not self.weight_total > 0:
            raise ValueError("sample_weight must have a positive sum.")

    def mean(self, total):
        """Return the EM lower bound: the summed weighted log-likelihood per unit weight."""
        return float(total) / self.weight_total

    def e_step(self, params, covariance_type, want_stats):
        """(None, summed weighted log p(x), Stats), or lazy (resp, log p(x), None)."""
        if not want_stats:
            est = self.estimator
            resp = _dask.rowwise("predict_proba", lambda e: e.n_components,
                                 self.dtype)(est, self.X)
            return resp, None, None
        centre = self.tied_centre if covariance_type == "tied" else None
        nk, sx, scatter, tied_extra, total = self.passes.run(
            _e_step, ("X", "w"), _dask.add_arrays, tuple(np.asarray(p) for p in params),
            self.dtype, covariance_type, centre, self.n_jobs)
        stats = em.Stats(nk, sx, scatter, np.asarray(params[1], dtype=self.dtype)
                         .astype(np.float64))
        stats.tied_extra = tied_extra
        return None, total, stats

    def tied_scatter(self, stats):
        """(centre, total scatter) for the tied M-step, as MixtureData.tied_scatter."""
        if self._scatter_total is None:
            d = self.n_features
            if self.has_complete:
                self._scatter_total = self.passes.run(_scatter, ("X", "w"), np.add,
                                                      self.tied_centre, self.dtype)
            else:
                self._scatter_total = np.zeros((d, d))
        extra = stats.tied_extra
        scatter = self._scatter_total
        return self.tied_centre, scatter if extra is None else scatter + extra

    def filled_for_init(self):
        """In-memory MixtureData of the initialization sample (NaN = whole-X column means)."""
        if self._start is None:
            self._start = self._draw_sample()
        return self._start

    def _draw_sample(self):
        sizes = _dask.block_sizes(self.X)
        if sizes is None:
            sizes = self.passes.results(len, ("X",))
        n = sum(sizes)
        takes = [None] * len(sizes)
        if n > INIT_SAMPLE_ROWS:
            # Each row kept with equal probability: a block's share by a
            # multivariate hypergeometric draw, its rows uniformly within it.
            rng = np.random.default_rng(0)
            counts = rng.multivariate_hypergeometric(np.asarray(sizes), INIT_SAMPLE_ROWS)
            takes = [np.sort(rng.choice(s, c, replace=False)) for s, c in zip(sizes, counts)]
        parts = self.passes.results(_sample, ("X", "w"), self.dtype, each=takes)
        X = np.concatenate([p[0] for p in parts])
        w = None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
        X = np.where(np.isnan(X), self.nanmean.astype(self.dtype), X)
        return MixtureData(np.ascontiguousarray(X, dtype=self.dtype), w,
                           effective_n_threads(self.n_jobs))


@_dask.implements("GaussianMixture._validate_fit_data")
def validate_fit_data(estimator, X, sample_weight, reset=True):
    """GaussianMixture's rows on the cluster (fit, fit_predict, partial_fit)."""
    estimator._validate_params()
    if reset:
        _dask.set_feature_metadata(estimator, X)
    elif _dask.n_columns(X) != estimator.n_features_in_:
        raise ValueError(f"X has {_dask.n_columns(X)} features, but GaussianMixture is "
                         f"expecting {estimator.n_features_in_} features as input.")
    data = DaskMixtureData(estimator, X, sample_weight)
    data.check(estimator.n_components, reset)
    return data


for _method, _n_out, _dtype in (
        ("score_samples", None, np.float64),
        ("predict_proba", lambda e: e.n_components, lambda e: e.means_.dtype),
        ("predict", None, np.intp),
        ("impute", lambda e: e.n_features_in_, lambda e: e.means_.dtype)):
    _dask.implements(f"GaussianMixture.{_method}")(
        _dask.rowwise(_method, _n_out or (lambda e: None), _dtype))
