"""k-nearest neighbours against scikit-learn, faiss and scikit-learn-intelex.

Peers: scikit-learn's brute force, faiss' IndexFlatL2 and
scikit-learn-intelex's (oneDAL) NearestNeighbors.

Timed: ``kneighbors`` only (every side fits or indexes the database once,
outside the timing: all three just store it, plus norms).  Two threads each.

Full size is the README's claim: 100,000 database x 10,000 queries, d = 64,
k = 10, Euclidean, in float32 (vs scikit-learn and faiss) and float64 (vs
scikit-learn).  The sweep (d = 8 and 512, k = 1 and 100) runs against faiss
with the same 10,000 queries, and against scikit-learn with 2,000, so that
scikit-learn's slowest cases stay under a minute; the ratio, not the
absolute time, is what it measures.  scikit-learn-intelex
(``sklearnex.neighbors.NearestNeighbors``, brute, not patched into
scikit-learn) is timed at d = 8, 64 and 512 with the 10,000 queries; it is
imported where its cases run, so that a missing package skips only those
rows.  A clustered case (50,000 x 256 in tight clusters, ``_clustered``;
10,000 queries, k=10, float32) against scikit-learn-intelex measures the
search where the integer product's error bound fails.  The text-search case:
TF-IDF rows (scikit-learn's TfidfVectorizer on documents drawn here from a
Zipf vocabulary of 30,000 words, 20 to 200 words each; 20,000 database and
2,000 query documents), cosine, k=10,
against scikit-learn's brute force on the same CSR matrices.  Quick runs
search digits tiled 10 times, and 2,000 documents.  ``growth_cases`` grows the
database 12,500 -> 800,000 rows x 64 (2,000 queries, k=10, float32; fit and
search, against scikit-learn-intelex) for ``gdcore bench --growth``: time and
the memory the search adds beyond the data.
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


def _clustered(n, n_queries, d, seed=0, n_centers=500, spread=0.1):
    """Points in tight clusters (500 standard normal centres, spread 0.1 around them).

    The distances within a cluster are far below the rows' norms, so the
    integer product's error bound (wider than float32's) fails for most
    queries with the usual candidates: the case measures what its pilot,
    retry with more candidates and fallback to float32 cost.
    """
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_centers, d))
    Y = centers[rng.integers(0, n_centers, n)] + spread * rng.standard_normal((n, d))
    Q = (centers[rng.integers(0, n_centers, n_queries)]
         + spread * rng.standard_normal((n_queries, d)))
    return Y.astype(np.float32), Q.astype(np.float32)


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
        if "scikit-learn-intelex" in peers:
            from sklearnex.neighbors import NearestNeighbors as IntelexNN

            data["intelex"] = IntelexNN(n_neighbors=k, metric="euclidean", algorithm="brute",
                                        n_jobs=N_THREADS).fit(Y)
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
            "faiss": lambda d: _faiss_search(d["faiss"], d["Q"], k),
            "scikit-learn-intelex": lambda d: d["intelex"].kneighbors(d["Q"])}
    return [Case("neighbors", task, shape, peer + (" IndexFlatL2" if peer == "faiss" else
                                                   "" if peer == "scikit-learn-intelex" else
                                                   " brute"),
                 data, ours, runs[peer], _agreement) for peer in peers]


def _documents(n, seed, vocabulary=30_000):
    """Return n documents of 20-200 words, word ranks Zipf-distributed (as in text)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 201, n)
    ranks = np.minimum(rng.zipf(1.1, lengths.sum()), vocabulary)
    words = np.array([f"w{r}" for r in range(vocabulary + 1)])[ranks]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [" ".join(words[bounds[i]:bounds[i + 1]]) for i in range(n)]


def _tfidf_case(n, n_queries):
    def make():
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(dtype=np.float32).fit(_documents(n, 0))
        Y, Q = vec.transform(_documents(n, 0)), vec.transform(_documents(n_queries, 1))
        return {"Q": Q,
                "ours": gdcore.NearestNeighbors(n_neighbors=10, metric="cosine",
                                                n_jobs=N_THREADS).fit(Y),
                "sklearn": skn.NearestNeighbors(n_neighbors=10, metric="cosine",
                                                algorithm="brute", n_jobs=N_THREADS).fit(Y)}

    shape = f"TF-IDF {n} docs, {n_queries} q"
    return [Case("neighbors", "kneighbors cosine k=10 sparse", shape, "scikit-learn brute",
                 lambda: cached(("tfidf", n), make), lambda d: d["ours"].kneighbors(d["Q"]),
                 lambda d: d["sklearn"].kneighbors(d["Q"]), _agreement)]


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
        return (_cases_for(lambda: _digits(np.float32), "17970x64 digits", np.float32, 10, both)
                + _tfidf_case(2_000, 200))
    n, nq, nq_sweep = 100_000, 10_000, 2_000
    out = _cases_for(lambda: _gaussian(n, nq, 64, np.float32), f"{n}x64, {nq} q",
                     np.float32, 10, both + ["scikit-learn-intelex"])
    out += _cases_for(lambda: _gaussian(n, nq, 64, np.float64), f"{n}x64, {nq} q",
                      np.float64, 10, ["scikit-learn"])
    for d, k in ((8, 10), (512, 10), (64, 1), (64, 100)):
        out += _cases_for(lambda d=d: _gaussian(n, nq_sweep, d, np.float32),
                          f"{n}x{d}, {nq_sweep} q", np.float32, k, ["scikit-learn"])
        out += _cases_for(lambda d=d: _gaussian(n, nq, d, np.float32),
                          f"{n}x{d}, {nq} q", np.float32, k,
                          both[1:] + (["scikit-learn-intelex"] if k == 10 else []))
    out += _cases_for(lambda: _clustered(50_000, nq, 256), f"50000x256 clustered, {nq} q",
                      np.float32, 10, ["scikit-learn-intelex"])
    return out + _tfidf_case(20_000, 2_000)


GROWTH_QUERIES = 2_000


def _fit_search_ours(d):
    nn = gdcore.NearestNeighbors(n_neighbors=10, metric="euclidean", n_jobs=N_THREADS)
    return nn.fit(d["Y"]).kneighbors(d["Q"])


def _fit_search_intelex(d):
    from sklearnex.neighbors import NearestNeighbors as IntelexNN

    nn = IntelexNN(n_neighbors=10, metric="euclidean", algorithm="brute", n_jobs=N_THREADS)
    return nn.fit(d["Y"]).kneighbors(d["Q"])


def growth_cases():
    """Fit and search a database of 12,500 -> 800,000 rows x 64 (2,000 queries, k=10).

    One Case per size against scikit-learn-intelex (``Case.size`` =
    database rows); ``gdcore bench --growth`` runs each once per side in a
    fresh process, so the peak memory is each side's own.
    """
    def make(n):
        Y, Q = _gaussian(n, GROWTH_QUERIES, 64, np.float32)
        return {"Y": Y, "Q": Q}

    return [Case("neighbors", "kNN fit + kneighbors k=10 float32", f"{n}x64, {GROWTH_QUERIES} q",
                 "scikit-learn-intelex", lambda n=n: make(n), _fit_search_ours,
                 _fit_search_intelex, _agreement, repeat=1, min_seconds=0, size=n)
            for n in (12_500, 50_000, 200_000, 800_000)]
