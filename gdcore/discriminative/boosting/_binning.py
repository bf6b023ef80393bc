"""Bins for boosting: scikit-learn's HistGradientBoosting thresholds, the tree family's codes.

Per feature, the thresholds are the installed scikit-learn's
(``_find_binning_thresholds``, through ``gdcore._sklearn_compat.hist_bin_thresholds``):
on 1.9 the midpoints between consecutive distinct values when there are at
most ``max_bins`` of them, else the ``max_bins - 1`` percentiles of the
non-missing values (``averaged_inverted_cdf``, weighted by ``sample_weight``
with rows of weight 0 left out), deduplicated; 1.6's rule differs.  Above
200,000 rows they come from a subsample drawn by the installed release's rule
(1.9: with replacement, in proportion to the weights).  Codes are then the tree
family's kernel (``gdcore.discriminative.tree._tree_bins``, feature-major
uint8 for ``max_bins <= 255``): ``x <= edges[f, b]`` exactly when
``code <= b``, and NaN has the code ``n_bins[f]``.  One rule thus serves the
training codes, the validation codes and the thresholds of the fitted trees,
and gdcore grows its trees on the same bins as scikit-learn.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gdcore._sklearn_compat import hist_bin_subsample, hist_bin_thresholds
from gdcore.discriminative.tree._bins import BinTable

# scikit-learn's subsample for the quantiles: their cost grows with the rows,
# while 200,000 rows already place them well.
QUANTILE_SUBSAMPLE = 200_000


class Bins:
    """Fitted bins of every feature and the split thresholds they stand for.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data, float32 or float64, NaN for missing values, no inf.
    max_bins : int
        Bins of non-missing values per feature, at most 255.
    random_state : numpy.random.RandomState
        Draws the subsample the quantiles come from (over 200,000 rows).
    n_categories : ndarray of shape (n_features,), default=None
        Categories of each categorical feature (its values are the codes
        0, ..., n_categories - 1 and each is its own bin), -1 for a numerical
        feature; None when every feature is numerical.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights, used where the installed scikit-learn bins with them.
    n_threads : int, default=1
        Features whose thresholds are found at once, in threads (NumPy's
        sort and percentile release the GIL), as scikit-learn's ``_BinMapper``
        does; each feature's thresholds are the same on any number.
    """

    def __init__(self, X, max_bins, random_state, n_categories=None, sample_weight=None,
                 n_threads=1):
        n, d = X.shape
        if n > QUANTILE_SUBSAMPLE:
            # the subsample stands for the weights (drawn in proportion to them)
            X = X.take(hist_bin_subsample(random_state, n, QUANTILE_SUBSAMPLE, sample_weight),
                       axis=0)
            sample_weight = None
        if n_categories is None:
            n_categories = np.full(d, -1)
        def thresholds(f):
            k = n_categories[f]
            # category c is bin c: the edges c + 0.5, whatever the quantile subsample holds
            if k >= 0:
                return np.arange(k - 1) + 0.5
            return hist_bin_thresholds(np.asarray(X[:, f], dtype=np.float64), max_bins,
                                       sample_weight)

        if n_threads > 1 and d > 1:
            with ThreadPoolExecutor(max_workers=min(n_threads, d)) as pool:
                tables = list(pool.map(thresholds, range(d)))
        else:
            tables = [thresholds(f) for f in range(d)]
        n_edges = np.array([len(t) for t in tables], dtype=np.int32)
        edges = np.zeros((d, max(1, int(n_edges.max(initial=0)))))
        for f, t in enumerate(tables):
            edges[f, : len(t)] = t
        n_bins = (n_edges + 1).astype(np.int32)
        self.table = BinTable(n_bins, n_edges, edges, np.zeros(d, dtype=np.uint8))
        #: (d,) int32 bins of non-missing values; the missing code is n_bins[f]
        self.n_bins = n_bins
        self.missing_code = n_bins.astype(np.uint32)
        self.edges = edges

    def transform(self, X, n_threads):
        """Return the codes of X, feature-major (d, n), uint8 when every code fits."""
        return self.table.transform(X, n_threads)

    def threshold(self, feature, bin_):
        """Return the raw-value threshold of a split after ``bin_`` (+inf after the last)."""
        if bin_ >= self.n_bins[feature] - 1:
            return np.inf
        return float(self.edges[feature, bin_])
