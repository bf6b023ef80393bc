"""NumPy twin of ``gdcore.generative.hmm._hmm_kmeans``: the spec it is tested against.

Same signatures and outputs; ``n_threads`` is accepted and ignored.
"""

import numpy as np


def n_row_chunks(n):
    return max(1, min(64, n // 4096))


def sq_distances(X, Y, out, n_threads):
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    out[:] = ((X[:, None, :] - Y[None]) ** 2).sum(axis=2)
    return 0


def lloyd_assign(X, centers, labels, sums, counts, n_threads):
    X = np.asarray(X, dtype=np.float64)
    dist = np.empty((len(X), len(centers)))
    sq_distances(X, centers, dist, n_threads)
    labels[:] = np.argmin(dist, axis=1)       # first minimum: the lowest index
    K = len(centers)
    counts[:] = np.bincount(labels, minlength=K)
    sums[:] = 0.0
    np.add.at(sums, labels, X)
    return float(dist[np.arange(len(X)), labels].sum())
