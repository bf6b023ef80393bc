"""k-nearest neighbours against scikit-learn's brute force and faiss' IndexFlatL2.

Timed: ``kneighbors`` only (every side fits or indexes the database once,
outside the timing: all three just store it, plus norms).  Two threads each.

Full size is the README's claim: 100,000 database x 10,000 queries, d = 64,
k = 10, Euclidean, in float32 (vs scikit-learn and faiss) and float64 (vs
scikit-learn).  The sweep (d = 8 and 512, k = 1 and 100) runs against faiss
with the same 10,000 queries, and against scikit-learn with 2,000, so that
scikit-learn's slowest cases stay under a minute; the ratio, not the
absolute time, is what it measures.  Quick runs search digits tiled 10 times.
"""

import numpy as np
import sklearn.neighbors as skn
from sklearn.datasets import load_digits

import gdcore
from gdcore.bench import Case, cached

N_THREADS = 2


def _gaussian(n, n_queries, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)).astype(dtype),
            rng.standard_normal((n_queries, d)).astype(dtype))


def _digits(dtype):
    X = load_digits().data.astype(dtype)
    rng = np.random.default_rng(0)
    Y = np.tile(X, (10, 1)) + rng.uniform(0, 0.1, (10 * len(X), X.shape[1])).astype(dtype)
    return Y, X[::2].copy()


def _agreement(ours, theirs, data):
    (d_o, i_o), (d_t, i_t) = ours, theirs
    scale = max(1.0, float(np.abs(d_t).max()))
    return (f"same idx {np.mean(i_o == i_t):.5f}, "
            f"max |dD|/max D {np.abs(d_o - d_t.astype(np.float64)).max() / scale:.1e}")


def _faiss_search(index, Q, k):
    D, ind = index.search(Q, k)
    return np.sqrt(np.maximum(D, 0)), ind


def _cases_for(make_YQ, shape, dtype, k, peers):
    def make():
        Y, Q = make_YQ()
        data = {"Q": Q,
                "ours": gdcore.NearestNeighbors(n_neighbors=k, metric="euclidean",
                                                n_jobs=N_THREADS).fit(Y)}
        if "scikit-learn" in peers:
            data["sklearn"] = skn.NearestNeighbors(
                n_neighbors=k, metric="euclidean", algorithm="brute", n_jobs=N_THREADS).fit(Y)
        if "faiss" in peers:
            import faiss

            faiss.omp_set_num_threads(N_THREADS)
            index = faiss.IndexFlatL2(Y.shape[1])
            index.add(Y)
            data["faiss"] = index
        return data

    data = lambda: cached((shape, np.dtype(dtype).name, k), make)  # noqa: E731
    task = f"kneighbors k={k} {np.dtype(dtype).name}"
    ours = lambda d: d["ours"].kneighbors(d["Q"])  # noqa: E731
    runs = {"scikit-learn": lambda d: d["sklearn"].kneighbors(d["Q"]),
            "faiss": lambda d: _faiss_search(d["faiss"], d["Q"], k)}
    return [Case("neighbors", task, shape, peer + (" IndexFlatL2" if peer == "faiss" else " brute"),
                 data, ours, runs[peer], _agreement) for peer in peers]


def _have_faiss():
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def cases(size):
    """Return this family's cases at ``size``, "full" or "quick"."""
    both = ["scikit-learn", "faiss"] if _have_faiss() else ["scikit-learn"]
    if size == "quick":
        return _cases_for(lambda: _digits(np.float32), "17970x64 digits", np.float32, 10, both)
    n, nq, nq_sweep = 100_000, 10_000, 2_000
    out = _cases_for(lambda: _gaussian(n, nq, 64, np.float32), f"{n}x64, {nq} q",
                     np.float32, 10, both)
    out += _cases_for(lambda: _gaussian(n, nq, 64, np.float64), f"{n}x64, {nq} q",
                      np.float64, 10, ["scikit-learn"])
    for d, k in ((8, 10), (512, 10), (64, 1), (64, 100)):
        out += _cases_for(lambda d=d: _gaussian(n, nq_sweep, d, np.float32),
                          f"{n}x{d}, {nq_sweep} q", np.float32, k, ["scikit-learn"])
        out += _cases_for(lambda d=d: _gaussian(n, nq, d, np.float32),
                          f"{n}x{d}, {nq} q", np.float32, k, both[1:])
    return out
