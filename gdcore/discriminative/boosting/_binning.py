"""Bins for boosting: scikit-learn's HistGradientBoosting thresholds, the tree family's codes.

Per feature, the thresholds are scikit-learn 1.9's (``_find_binning_thresholds``):
the midpoints between consecutive distinct values when there are at most
``max_bins`` of them, else the ``max_bins - 1`` percentiles of the
non-missing values (``averaged_inverted_cdf``, on a subsample of 200,000 rows
drawn with replacement above that), deduplicated.  Codes are then the tree
family's kernel (``gdcore.discriminative.tree._tree_bins``, feature-major
uint8 for ``max_bins <= 255``): ``x <= edges[f, b]`` exactly when
``code <= b``, and NaN has the code ``n_bins[f]``.  One rule thus serves the
training codes, the validation codes and the thresholds of the fitted trees,
and gdcore grows its trees on the same bins as scikit-learn.

With ``sample_weight`` (scikit-learn 1.8 and later, which gdcore follows as
installed) the bins are the repeated-rows bins: rows of weight 0 are left
out, the percentiles are weighted (the weighted ``averaged_inverted_cdf``) and
the subsample above 200,000 rows is drawn in proportion to the weights.
"""

import numpy as np

from gdcore._sklearn_compat import sklearn_version_at_least
from gdcore.discriminative.tree._bins import BinTable

# scikit-learn's subsample for the quantiles: their cost grows with the rows,
# while 200,000 rows already place them well.
QUANTILE_SUBSAMPLE = 200_000
ALMOST_INF = 1e300
WEIGHTED_BINS = sklearn_version_at_least("1.8")


def _weighted_quantiles(sorted_col, sorted_weight, percentiles):
    """Return the weighted averaged_inverted_cdf percentiles of sorted values (positive weights).

    scikit-learn's ``_weighted_percentile(..., average=True)``, for every
    percentile at once: the value where the cumulative weight reaches the
    rank, or the mean of it and the next value when the rank falls on it.
    """
    cdf = np.cumsum(sorted_weight)
    rank = percentiles / 100 * cdf[-1]
    at = np.minimum(np.searchsorted(cdf, rank), len(cdf) - 1)
    on_point = cdf[at] - rank <= np.finfo(np.float64).eps
    after = np.minimum(at + 1, len(cdf) - 1)
    return np.where(on_point, (sorted_col[at] + sorted_col[after]) / 2, sorted_col[at])


def _thresholds(col, max_bins, sample_weight=None):
    keep = ~np.isnan(col)
    if sample_weight is not None:
        keep &= sample_weight != 0      # a row of weight 0 is not data
        sample_weight = sample_weight[keep]
    col = col[keep]
    order = np.argsort(col, kind="stable")
    col = col[order]
    distinct = np.unique(col).astype(np.float64)
    if len(distinct) <= 1:
        return np.zeros(0)
    percentiles = np.linspace(0, 100, num=max_bins + 1)[1:-1]
    if len(distinct) <= max_bins:
        edges = (distinct[:-1] + distinct[1:]) * 0.5
    elif sample_weight is None:
        edges = np.unique(np.percentile(col, percentiles, method="averaged_inverted_cdf"))
    else:
        edges = np.unique(_weighted_quantiles(col, sample_weight[order], percentiles))
    return np.minimum(edges, ALMOST_INF)


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
        Row weights, used where the installed scikit-learn bins with them
        (1.8 and later).
    """

    def __init__(self, X, max_bins, random_state, n_categories=None, sample_weight=None):
        n, d = X.shape
        if not WEIGHTED_BINS:
            sample_weight = None
        if n > QUANTILE_SUBSAMPLE:
            # drawn in proportion to the weights, which the subsample then carries
            p = None if sample_weight is None else sample_weight / sample_weight.sum()
            X = X.take(random_state.choice(n, QUANTILE_SUBSAMPLE, replace=True, p=p), axis=0)
            sample_weight = None
        if n_categories is None:
            n_categories = np.full(d, -1)
        # category c is bin c: the edges c + 0.5, whatever the quantile subsample holds
        tables = [np.arange(k - 1) + 0.5 if k >= 0 else
                  _thresholds(np.asarray(X[:, f], dtype=np.float64), max_bins, sample_weight)
                  for f, k in enumerate(n_categories)]
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
