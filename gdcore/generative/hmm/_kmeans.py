"""hmmlearn's k-means initialization of the means, on gdcore's compiled kernels.

hmmlearn runs ``sklearn.cluster.KMeans(n_clusters, random_state=random_state,
n_init=10)``.  ``kmeans`` is that algorithm step for step: per start,
k-means++ seeding with 2 + log(k) local trials drawing the same numbers from
``random_state`` as scikit-learn, then Lloyd's iterations (at most 300,
stopping when the labels no longer change or the centres move less than
1e-4 times the mean feature variance, squared), empty clusters relocated to
the farthest rows; the start of lowest inertia is kept.  Its passes over the
data run in ``_hmm_kmeans`` and give the same answer on any number of
threads, which scikit-learn's does not (its chunked centre sums change in the
last bits with the thread count, and EM carries that on).

``sample_size`` rows ("auto": AUTO_MIN_ROWS, more with many states): a
k-means of 10 starts costs tens of passes over the data, where each EM
iteration costs one, so on long data it would dominate a fit.  k-means on
a uniform sample of rows (drawn from ``random_state`` before the starts)
places the initial means as well for EM's purpose; EM then runs on every
row.  ``None`` clusters every row, as hmmlearn.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.random import sample_without_replacement

from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore.generative.hmm import _hmm_kmeans

N_INIT = 10
MAX_ITER = 300
TOL = 1e-4
# init_sample_size="auto" (GaussianHMM, GMMHMM): k-means initializes the
# means from max(AUTO_MIN_ROWS, AUTO_ROWS_PER_STATE * n_components) rows.
# Ten starts of Lloyd's iterations on that many rows stay under a fifth of a
# default fit on the 200,000 x 16 problem of ``gdcore bench hmm``
# ("initialization" case), where the whole-data k-means took most of the
# fit; over seeds the fitted log-likelihood after EM is the same as from the
# whole-data k-means (that case compares both).  More rows per state keep
# small states seeded as the number of states grows.
AUTO_MIN_ROWS = 2_000
AUTO_ROWS_PER_STATE = 50


class KMeansResult:
    """What the HMMs read of a k-means: ``cluster_centers_``, ``labels_``, ``inertia_``."""

    def __init__(self, cluster_centers, labels, inertia, n_iter):
        self.cluster_centers_ = cluster_centers
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter


def resolve_sample_size(sample_size, n_clusters):
    """Rows to cluster: None (all), or an int; ValueError unless "auto", None or int >= 1."""
    if isinstance(sample_size, str) and sample_size == "auto":
        return max(AUTO_MIN_ROWS, AUTO_ROWS_PER_STATE * n_clusters)
    if sample_size is not None and (
            isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer))
            or sample_size < 1):
        raise ValueError('init_sample_size must be "auto", None (k-means on every row, as '
                         f"hmmlearn) or a positive integer, got {sample_size!r}.")
    return sample_size


def sample_rows(X, sample_size, random_state):
    """X itself, or ``sample_size`` of its rows drawn uniformly without replacement, in order."""
    if sample_size is None or len(X) <= sample_size:
        return X
    rows = sample_without_replacement(len(X), sample_size, random_state=random_state)
    return X[np.sort(rows)]


def kmeans_plusplus(X, n_clusters, random_state, n_threads, kernels=_hmm_kmeans):
    """scikit-learn's k-means++ seeding (greedy, 2 + log k trials); return the centres."""
    n = len(X)
    n_trials = 2 + int(np.log(n_clusters))
    centers = np.empty((n_clusters, X.shape[1]))
    center_id = random_state.choice(n, p=np.full(n, 1.0 / n))
    centers[0] = X[center_id]
    closest = np.empty((n, 1))
    _check_status(kernels.sq_distances(X, X[[center_id]], closest, n_threads))
    closest = closest[:, 0]
    pot = closest.sum()
    cand_dist = np.empty((n, n_trials))
    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_trials) * pot
        cand = np.searchsorted(np.cumsum(closest), rand_vals)
        np.clip(cand, None, n - 1, out=cand)
        _check_status(kernels.sq_distances(X, X[cand], cand_dist, n_threads))
        np.minimum(closest[:, None], cand_dist, out=cand_dist)
        cand_pot = cand_dist.sum(axis=0)
        best = int(np.argmin(cand_pot))
        pot = cand_pot[best]
        closest = cand_dist[:, best].copy()
        centers[c] = X[cand[best]]
    return centers


def _relocate_empty(X, centers_old, sums, counts, labels):
    """Give each empty cluster the row farthest from its centre, as scikit-learn."""
    empty = np.flatnonzero(counts == 0)
    if not len(empty):
        return
    dist = ((X - centers_old[labels]) ** 2).sum(axis=1)
    far = np.argpartition(dist, -len(empty))[:-len(empty) - 1:-1]
    for new, row in zip(empty, far):
        old = labels[row]
        sums[old] -= X[row]
        sums[new] = X[row]
        counts[new] = 1.0
        counts[old] -= 1.0


_NO_MEMORY = ("k-means could not allocate its per-thread scratch (256 rows of "
              "n_features + n_components doubles): free memory or use fewer features.")


def _check_assigned(inertia):
    """Return the inertia ``lloyd_assign`` gave; MemoryError for its -1 (no thread scratch)."""
    if inertia < 0:
        raise MemoryError(_NO_MEMORY)
    return inertia


def _check_status(status):
    """MemoryError for a kernel's NO_MEMORY status."""
    if status != _hmm_kmeans.STATUS_OK:
        raise MemoryError(_NO_MEMORY)


def lloyd(X, centers, tol, n_threads, kernels=_hmm_kmeans):
    """Lloyd's iterations from ``centers``: (centres, labels, inertia, iterations)."""
    K = len(centers)
    labels = np.empty(len(X), dtype=np.intp)
    old_labels = np.full(len(X), -1, dtype=np.intp)
    sums, counts = np.empty((K, X.shape[1])), np.empty(K)
    n_iter = 0
    while n_iter < MAX_ITER:
        n_iter += 1
        _check_assigned(kernels.lloyd_assign(X, centers, labels, sums, counts, n_threads))
        _relocate_empty(X, centers, sums, counts, labels)
        new = sums / np.maximum(counts, 1.0)[:, None]
        new[counts == 0] = centers[counts == 0]
        shift = ((new - centers) ** 2).sum()
        centers = new
        if np.array_equal(labels, old_labels) or shift <= tol:
            break
        labels, old_labels = old_labels, labels
    # The labels and inertia of the last centres (scikit-learn's final E-step).
    inertia = _check_assigned(kernels.lloyd_assign(X, centers, labels, sums, counts, n_threads))
    return centers, labels, inertia, n_iter


def same_clustering(a, b, n_clusters):
    """Whether labelings ``a`` and ``b`` are the same partition up to renaming."""
    mapping = np.full(n_clusters, -1)
    first = np.unique(a, return_index=True)[1]
    mapping[a[first]] = b[first]
    return bool(np.array_equal(mapping[a], b))


def kmeans(X, n_clusters, random_state, n_jobs=None, sample_size=None,
           kernels=_hmm_kmeans):
    """Run hmmlearn's ``KMeans(n_clusters, random_state=random_state, n_init=10).fit(X)``.

    On ``sample_size`` rows drawn first ("auto", None: all, or an int); ``kernels`` is the
    compiled module or its NumPy twin.  Returns a ``KMeansResult`` whose
    labels are those of the rows clustered.
    """
    rs = check_random_state(random_state)
    X = sample_rows(X, resolve_sample_size(sample_size, n_clusters), rs)
    if len(X) < n_clusters:
        raise ValueError(f"n_samples={len(X)} should be >= n_clusters={n_clusters}.")
    n_threads = effective_n_threads(n_jobs)
    X = np.ascontiguousarray(X, dtype=np.float64)
    tol = float(np.mean(np.var(X, axis=0))) * TOL
    best = None
    for _ in range(N_INIT):
        # The kernels' gemms run on one BLAS thread inside their OpenMP regions.
        with single_threaded_blas():
            seeds = kmeans_plusplus(X, n_clusters, rs, n_threads, kernels)
            centers, labels, inertia, n_iter = lloyd(X, seeds, tol, n_threads, kernels)
        if best is None or (inertia < best.inertia_
                            and not same_clustering(labels, best.labels_, n_clusters)):
            best = KMeansResult(centers, labels.copy(), inertia, n_iter)
    if len(np.unique(best.labels_)) < n_clusters:
        warnings.warn(f"Number of distinct clusters ({len(np.unique(best.labels_))}) found "
                      f"smaller than n_clusters ({n_clusters}). Possibly due to duplicate "
                      "points in X.", ConvergenceWarning, stacklevel=2)
    return best
