"""The Dask path against the in-memory fit, and against dask-ml, on one LocalCluster.

Each case times gdcore on a Dask array persisted on a 2-worker LocalCluster
(1 thread per worker; the client's in-memory fit uses 2 OpenMP threads, the
same cores) against the same estimator on the same rows in one NumPy array,
or against dask-ml's estimator on the same Dask array and cluster.  The
"speed-up" column is peer time / Dask time: 1 / 1.3 = 0.77 or more meets the
distributed layer's goal of at most 1.3x the in-memory time.

Full sizes are the distributed issue's: GaussianMixture (full covariance,
k=16) on 2,000,000 x 16, 10 EM iterations from given parameters;
GaussianHMM (diag, 16 states, 16 features) on 1,000 sequences x 2,000
steps, 2 EM iterations; LogisticRegression (L-BFGS, binary: dask-ml's
only case) on
2,000,000 x 100, and its block-wise predict_proba against dask-ml's
``ParallelPostFit`` around scikit-learn's model with the same coefficients;
NearestNeighbors (k=10, 10,000 queries) on a 1,000,000 x
64 database; GaussianNB on 2,000,000 x 100;
HistGradientBoostingClassifier (binary, 100 iterations, 31 leaves, no early
stopping) on 1,000,000 x 40, against the in-memory fit and against
xgboost.dask and lightgbm.dask (the same trees: leaf-wise, 31 leaves, 255
bins) on the same Dask array and cluster; RandomForestClassifier (100
trees, default parameters) on the same rows against the in-memory fit,
one run a side.  Quick runs use a hundredth (the
boosting case a fiftieth).
Each side runs 3 times (median; the first Dask run also pays one-time costs
such as shipping the functions to the workers).  Blocks are 250,000 rows
(quick: 10,000), a block per worker-task of a few tens of MB: big enough
that a task's scheduling cost (about a millisecond) is small next to its
kernel, small enough to spread over the workers.
"""

import importlib
import logging
import warnings

import numpy as np

import gdcore
from gdcore.bench import Case, cached

SIZES = {
    "full": {"gmm": 2_000_000, "hmm": (1_000, 2_000), "logistic": 2_000_000,
             "knn": (1_000_000, 10_000), "nb": 2_000_000, "hgb": 1_000_000, "chunk": 250_000},
    "quick": {"gmm": 20_000, "hmm": (10, 2_000), "logistic": 20_000,
              "knn": (10_000, 1_000), "nb": 20_000, "hgb": 20_000, "chunk": 10_000},
}


_CLUSTER = {}


def _client():
    """One LocalCluster for the whole run (2 worker processes, 1 thread each).

    Kept apart from ``cached``, which holds one dataset at a time: the
    cluster outlives the datasets.
    """
    if "client" not in _CLUSTER:
        from distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        # Workers import gdcore and its Dask modules once, before any timing.
        for module in ("gdcore.generative.mixture._dask", "gdcore.generative.hmm._dask",
                       "gdcore.generative.naive_bayes._dask",
                       "gdcore.discriminative.linear._dask",
                       "gdcore.discriminative.neighbors._dask",
                       "gdcore.discriminative.boosting._dask",
                       "gdcore.discriminative.tree._dask"):
            client.run(importlib.import_module, module)
        _CLUSTER["client"] = client
    return _CLUSTER["client"]


def _on_cluster(X, chunk):
    import dask.array as da
    _client()
    chunks = (chunk,) + X.shape[1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "large graph": the data's one trip to the workers
        return da.from_array(X, chunks=chunks).persist()


def _max_rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------ mixture

def _gmm_data(n, chunk, k=16, d=16):
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 4, (k, d))
    X = centres[rng.integers(0, k, n)] + rng.standard_normal((n, d))
    init = {"weights_init": np.full(k, 1.0 / k), "means_init": centres + 0.5,
            "precisions_init": np.tile(np.eye(d), (k, 1, 1))}
    return {"X": X, "Xd": _on_cluster(X, chunk), "init": init}


def _gmm_fit(data, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # 10 iterations do not converge
        return gdcore.GaussianMixture(16, max_iter=10, tol=0, **data["init"]).fit(X)


def _gmm_agreement(ours, theirs, data):
    return f"max rel d(means) {_max_rel(ours.means_, theirs.means_):.1e}"


# ---------------------------------------------------------------------- hmm

def _hmm_data(n_seq, T, chunk_seq, K=16, d=16):
    from gdcore.bench.cases.hmm import _gaussian_params
    params = _gaussian_params(K, d)
    model = gdcore.GaussianHMM(K, covariance_type="diag", init_params="")
    for name, value in params.items():
        setattr(model, name, value)
    X, _, lengths = model.sample_sequences(n_seq, T, random_state=0)
    Xd = _on_cluster(X, chunk_seq * T)
    return {"X": X, "Xd": Xd, "lengths": lengths, "params": params}


def _hmm_fit(data, X):
    model = gdcore.GaussianHMM(16, covariance_type="diag", init_params="", n_iter=2, tol=-1)
    for name, value in data["params"].items():
        setattr(model, name, value.copy())
    return model.fit(X, data["lengths"])


def _hmm_agreement(ours, theirs, data):
    return f"max rel d(means) {_max_rel(ours.means_, theirs.means_):.1e}"


# ----------------------------------------------------------------- logistic

def _logistic_data(n, chunk, d=100, k=2):
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=n, n_features=d, n_informative=20, n_classes=k,
                               random_state=0)
    _client()
    return {"X": np.ascontiguousarray(X), "y": y, "Xd": _on_cluster(X, chunk),
            "yd": _on_cluster(y, chunk)}


def _logistic_fit(data, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gdcore.LogisticRegression().fit(X, y)


def _dask_ml_logistic(data):
    from dask_ml.linear_model import LogisticRegression
    return LogisticRegression(solver="lbfgs", C=1.0).fit(data["Xd"], data["yd"])


def _fitted_pair(data):
    """Return gdcore's and scikit-learn's LogisticRegression, same coefficients, in memory."""
    if "pair" not in data:
        from sklearn.linear_model import LogisticRegression
        ours = _logistic_fit(data, data["X"][:100_000], data["y"][:100_000])
        theirs = LogisticRegression().fit(data["X"][:1000], data["y"][:1000])
        theirs.coef_, theirs.intercept_ = ours.coef_.copy(), ours.intercept_.copy()
        data["pair"] = ours, theirs
    return data["pair"]


def _predict_proba(data):
    return _fitted_pair(data)[0].predict_proba(data["Xd"]).compute()


def _dask_ml_post_fit(data):
    from dask_ml.wrappers import ParallelPostFit
    return ParallelPostFit(_fitted_pair(data)[1]).predict_proba(data["Xd"]).compute()


def _proba_agreement(ours, theirs, data):
    return f"max abs d(proba) {np.max(np.abs(ours - theirs)):.1e}"


def _logistic_agreement(ours, theirs, data):
    X = data["X"][:2000]
    a = np.asarray(ours.predict(X))
    b = np.asarray(theirs.predict(X))
    return f"same class {np.mean(a == b):.4f}"


# ---------------------------------------------------------------- neighbors

def _knn_data(n, n_queries, chunk, d=64):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    Q = rng.standard_normal((n_queries, d))
    import dask.array as da
    _client()
    Xd = _on_cluster(X, chunk)
    return {"X": X, "Q": Q, "Qd": da.from_array(Q, chunks=(max(1, n_queries // 4), d)),
            "in_memory": gdcore.NearestNeighbors(n_neighbors=10).fit(X),
            "sharded": gdcore.NearestNeighbors(n_neighbors=10).fit(Xd)}


def _knn_agreement(ours, theirs, data):
    return f"same neighbours {np.mean(np.asarray(ours) == np.asarray(theirs)):.4f}"


# ------------------------------------------------------------------------ nb

def _nb_data(n, chunk, d=100, k=10):
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, n)
    X = rng.standard_normal((n, d)) + rng.normal(0, 0.3, (k, d))[y]
    _client()
    return {"X": X, "y": y, "Xd": _on_cluster(X, chunk), "yd": _on_cluster(y, chunk)}


def _dask_ml_nb(data):
    import dask
    from dask_ml.naive_bayes import GaussianNB
    model = GaussianNB().fit(data["Xd"], data["yd"])
    # dask-ml leaves the fitted statistics lazy: computing them is part of the fit.
    model.theta_, model.sigma_ = dask.compute(model.theta_, model.sigma_)
    return model


def _nb_agreement(ours, theirs, data):
    return f"max rel d(theta) {_max_rel(ours.theta_, theirs.theta_):.1e}"


# --------------------------------------------------------------------- boosting

HGB_PARAMS = dict(max_iter=100, max_leaf_nodes=31, learning_rate=0.1, min_samples_leaf=20,
                  max_bins=255, early_stopping=False, random_state=0)


def _hgb_data(n, chunk, d=40):
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=n, n_features=d, n_informative=20, random_state=0)
    _client()
    return {"X": np.ascontiguousarray(X), "y": y, "Xd": _on_cluster(X, chunk),
            "yd": _on_cluster(y, chunk)}


def _hgb_fit(data, X, y):
    return gdcore.HistGradientBoostingClassifier(**HGB_PARAMS).fit(X, y)


def _xgboost_dask(data):
    from xgboost import dask as dxgb
    # leaf-wise like gdcore: 31 leaves, no depth limit, 255 bins, the same shrinkage
    model = dxgb.DaskXGBClassifier(
        n_estimators=100, tree_method="hist", grow_policy="lossguide", max_leaves=31,
        max_depth=0, max_bin=255, learning_rate=0.1, reg_lambda=0.0, min_child_weight=1e-3,
        n_jobs=1)
    model.client = _client()
    return model.fit(data["Xd"], data["yd"])


def _lightgbm_dask(data):
    import lightgbm
    model = lightgbm.DaskLGBMClassifier(
        n_estimators=100, num_leaves=31, max_bin=255, learning_rate=0.1,
        min_child_samples=20, reg_lambda=0.0, n_jobs=1, verbose=-1, client=_client())
    return model.fit(data["Xd"], data["yd"])


def _hgb_agreement(ours, theirs, data):
    import dask.array as da
    X, y = data["X"][:20_000], data["y"][:20_000]
    a = float(np.mean(np.asarray(ours.predict(X)) == y))
    # the Dask peers predict Dask collections only
    b = float(np.mean(np.asarray(theirs.predict(da.from_array(X, chunks=5_000))) == y))
    return f"train acc {a:.4f} / {b:.4f}"


def _forest_fit(X, y):
    return gdcore.RandomForestClassifier(100, random_state=0).fit(X, y)


def _forest_agreement(ours, theirs, data):
    X, y = data["X"][:20_000], data["y"][:20_000]
    a, b = (float(np.mean(np.asarray(m.predict(X)) == y)) for m in (ours, theirs))
    return f"train acc {a:.4f} / {b:.4f}"


def cases(size="full"):
    """Return the Dask cases at ``size``, "full" or "quick"."""
    s = SIZES[size]
    chunk = s["chunk"]
    n_gmm, (n_seq, T), n_lr, (n_db, n_q), n_nb = (s["gmm"], s["hmm"], s["logistic"],
                                                  s["knn"], s["nb"])
    gmm = lambda: cached(("dask", "gmm", size), lambda: _gmm_data(n_gmm, chunk))  # noqa: E731
    hmm = lambda: cached(("dask", "hmm", size),  # noqa: E731
                         lambda: _hmm_data(n_seq, T, max(1, chunk // T)))
    lr = lambda: cached(("dask", "lr", size), lambda: _logistic_data(n_lr, chunk))  # noqa: E731
    knn = lambda: cached(("dask", "knn", size),  # noqa: E731
                         lambda: _knn_data(n_db, n_q, chunk))
    nb = lambda: cached(("dask", "nb", size), lambda: _nb_data(n_nb, chunk))  # noqa: E731
    hgb = lambda: cached(("dask", "hgb", size), lambda: _hgb_data(s["hgb"], chunk))  # noqa: E731
    return [
        Case("dask", "GaussianMixture full k=16: 10 EM iterations", f"{n_gmm}x16",
             "gdcore in memory", gmm, lambda d: _gmm_fit(d, d["Xd"]),
             lambda d: _gmm_fit(d, d["X"]), _gmm_agreement, repeat=3, min_seconds=0),
        Case("dask", "GaussianHMM diag K=16 d=16: 2 EM iterations", f"{n_seq} x {T}",
             "gdcore in memory", hmm, lambda d: _hmm_fit(d, d["Xd"]),
             lambda d: _hmm_fit(d, d["X"]), _hmm_agreement, repeat=3, min_seconds=0),
        Case("dask", "LogisticRegression binary fit", f"{n_lr}x100",
             "gdcore in memory", lr, lambda d: _logistic_fit(d, d["Xd"], d["yd"]),
             lambda d: _logistic_fit(d, d["X"], d["y"]), _logistic_agreement, repeat=3,
             min_seconds=0),
        Case("dask", "LogisticRegression binary fit", f"{n_lr}x100",
             "dask-ml (lbfgs)", lr, lambda d: _logistic_fit(d, d["Xd"], d["yd"]),
             _dask_ml_logistic, _logistic_agreement, repeat=3, min_seconds=0),
        Case("dask", "LogisticRegression predict_proba", f"{n_lr}x100",
             "dask-ml ParallelPostFit(scikit-learn)", lr, _predict_proba, _dask_ml_post_fit,
             _proba_agreement, repeat=3, min_seconds=0),
        Case("dask", "NearestNeighbors kneighbors k=10", f"{n_db}x64, {n_q} queries",
             "gdcore in memory", knn,
             lambda d: d["sharded"].kneighbors(d["Qd"], return_distance=False).compute(),
             lambda d: d["in_memory"].kneighbors(d["Q"], return_distance=False),
             _knn_agreement, repeat=3, min_seconds=0),
        Case("dask", "GaussianNB fit", f"{n_nb}x100", "gdcore in memory", nb,
             lambda d: gdcore.GaussianNB().fit(d["Xd"], d["yd"]),
             lambda d: gdcore.GaussianNB().fit(d["X"], d["y"]), _nb_agreement, repeat=3,
             min_seconds=0),
        Case("dask", "GaussianNB fit", f"{n_nb}x100", "dask-ml", nb,
             lambda d: gdcore.GaussianNB().fit(d["Xd"], d["yd"]), _dask_ml_nb,
             _nb_agreement, repeat=3, min_seconds=0),
        Case("dask", "HistGradientBoostingClassifier binary: 100 iterations",
             f"{s['hgb']}x40", "gdcore in memory", hgb,
             lambda d: _hgb_fit(d, d["Xd"], d["yd"]), lambda d: _hgb_fit(d, d["X"], d["y"]),
             _hgb_agreement, repeat=3, min_seconds=0),
        Case("dask", "HistGradientBoostingClassifier binary: 100 iterations",
             f"{s['hgb']}x40", "xgboost.dask (hist, lossguide 31 leaves)", hgb,
             lambda d: _hgb_fit(d, d["Xd"], d["yd"]), _xgboost_dask, _hgb_agreement,
             repeat=3, min_seconds=0),
        Case("dask", "HistGradientBoostingClassifier binary: 100 iterations",
             f"{s['hgb']}x40", "lightgbm.dask (31 leaves)", hgb,
             lambda d: _hgb_fit(d, d["Xd"], d["yd"]), _lightgbm_dask, _hgb_agreement,
             repeat=3, min_seconds=0),
        # one run a side: a full-size forest fit takes minutes
        Case("dask", "RandomForestClassifier: 100 trees", f"{s['hgb']}x40",
             "gdcore in memory", hgb, lambda d: _forest_fit(d["Xd"], d["yd"]),
             lambda d: _forest_fit(d["X"], d["y"]), _forest_agreement, repeat=1,
             min_seconds=0),
    ]
