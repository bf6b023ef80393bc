"""NumPy twin of ``gdcore.discriminative.neighbors._neighbors`` and ``_neighbors_fit``.

Their specification in tests.  Same signatures, same outputs; ``n_threads``
is accepted and ignored.  The whole (n_q, n) distance matrix is formed in
float64 from the exact formulas (no gemm trick) and each row sorted by
(distance, index), so this is what an exact search with ties broken by index
must return.  Never used on a hot path.
"""

import numpy as np

STATUS_OK = 0
STATUS_OUT_OF_MEMORY = 1
STATUS_TOO_MANY_ROWS = 2
METRIC_SQEUCLIDEAN = 0
METRIC_COSINE = 1
METRIC_MANHATTAN = 2
METRIC_CHEBYSHEV = 3
METRIC_MINKOWSKI = 4
PRODUCT_FLOAT = 0
PRODUCT_INT16 = 1


def n_candidates(k, n_available):
    return min(n_available, k + max(8, k // 8))


def _distances(Q, Y, metric, p):
    """(n_q, n) exact distances in float64 (Minkowski: the p-th power)."""
    Q = np.asarray(Q, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    diff = np.abs(Q[:, None, :] - Y[None, :, :])
    if metric == METRIC_SQEUCLIDEAN:
        return (diff**2).sum(axis=2)
    if metric == METRIC_COSINE:
        nq, ny = np.linalg.norm(Q, axis=1), np.linalg.norm(Y, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = (Q @ Y.T) / np.outer(nq, ny)
        cos[(nq == 0)[:, None] | (ny == 0)[None, :]] = 0.0
        return np.clip(1.0 - cos, 0.0, 2.0)
    if metric == METRIC_MANHATTAN:
        return diff.sum(axis=2)
    if metric == METRIC_CHEBYSHEV:
        return diff.max(axis=2, initial=0.0)
    return (diff**p).sum(axis=2)


def _top_k(D, exclude_self, dist, ind):
    if exclude_self:
        np.fill_diagonal(D, np.inf)
    idx = np.broadcast_to(np.arange(D.shape[1]), D.shape)
    k = dist.shape[1]
    for i in range(D.shape[0]):
        order = np.lexsort((idx[i], D[i]))[:k]
        ind[i] = order
        dist[i] = D[i, order]


def kneighbors_gemm(Q, Y, shift, y_scale, yg_sqnorms, metric, exclude_self, dist, ind,
                    n_threads, product=PRODUCT_FLOAT):
    """shift, y_scale, yg_sqnorms and product steer the kernel's search; the answer ignores them."""
    _top_k(_distances(Q, Y, metric, 2.0), exclude_self, dist, ind)
    return STATUS_OK


def kneighbors_direct(Q, Y, metric, p, exclude_self, dist, ind, n_threads):
    D = _distances(Q, Y, metric, p)
    _top_k(D, exclude_self, dist, ind)
    if metric == METRIC_MINKOWSKI:
        dist[:] = dist ** (1.0 / p)
    return STATUS_OK


def kneighbors_csr(q_data, q_indices, q_indptr, y_data, y_indices, y_indptr, c_data, c_rows,
                   c_indptr, y_sqnorms, metric, exclude_self, dist, ind, n_threads):
    """Search the CSR rows made dense; the CSC copy and norms only steer the kernel."""
    from scipy import sparse

    n_cols = int(max(q_indices.max(initial=-1), y_indices.max(initial=-1))) + 1
    Q = sparse.csr_matrix((q_data, q_indices, q_indptr),
                          shape=(len(q_indptr) - 1, n_cols)).toarray()
    Y = sparse.csr_matrix((y_data, y_indices, y_indptr),
                          shape=(len(y_indptr) - 1, n_cols)).toarray()
    _top_k(_distances(Q, Y, metric, 2.0), exclude_self, dist, ind)
    return STATUS_OK


def database_stats(X, sqnorms, col_sums, peak, n_threads):
    """Squared row norms, column sums and max |X|, in float64."""
    X64 = np.asarray(X, dtype=np.float64)
    sqnorms[:] = (X64**2).sum(axis=1)
    col_sums[:] = X64.sum(axis=0)
    peak[0] = np.abs(X64).max(initial=0.0)
    return STATUS_OK
