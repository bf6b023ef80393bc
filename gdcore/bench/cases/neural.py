"""Tabular generators against the ctgan package's CTGAN and TVAE (Xu et al. 2019).

Each case fits a gdcore generator and a ctgan one on the same 70% of a
table (the split of docs/generators_two_sample.py) and reports, besides the
fit-and-sample times the table is built on, each side's fit time alone and
its classifier two-sample AUC (gdcore.generative._two_sample: a random
forest telling the held-out real rows from as many generated ones; 0.5 is
indistinguishable, lower is better).  Tables: breast_cancer (30 numeric
columns) and the mixed diabetes table of docs/generators_two_sample.py (2
categorical columns, 9 numeric).  Both sides on 2 threads (gdcore n_jobs=2,
torch.set_num_threads(2)).  Pairs: TabularDiffusion against CTGAN and TVAE,
GAN against CTGAN, VAE against TVAE.  gdcore's models use the settings of
docs/generators_two_sample.py (the README's two-sample table), ctgan's its
defaults (300 epochs); "quick" is 20 epochs each on breast_cancer only: a
smoke run, not a claim.

ctgan brings PyTorch; it is not in the test extra (pip install ctgan).
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from gdcore.bench import Case, cached
from gdcore.generative import neural
from gdcore.generative._two_sample import classifier_two_sample_test

N_THREADS = 2
QUICK_EPOCHS = 20

# gdcore's settings: those of docs/generators_two_sample.py, whose AUCs the
# README reports (the VAE's small batches and latent space, the GAN's batch
# size); the diffusion model with its defaults.
SETTINGS = {
    "VAE": {"latent_dim": 4, "batch_size": 32, "max_iter": 500},
    "GAN": {"batch_size": 64, "max_iter": 300},
    "TabularDiffusion": {},
}


def _split(X, categorical):
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    return {"X": X_train, "Xt": X_test, "categorical": np.asarray(categorical, dtype=int)}


def _breast_cancer():
    return _split(load_breast_cancer().data, [])


def _diabetes_mixed():
    data = load_diabetes()
    X = np.c_[data.data, data.target]
    X[:, 0] = np.digitize(X[:, 0], np.quantile(X[:, 0], [0.2, 0.4, 0.6, 0.8]))
    X[:, 1] = (X[:, 1] > 0).astype(float)
    return _split(X, [0, 1])


def _snap(G, X_train, categorical):
    """Each categorical column of G to its nearest training level (the VAE models codes)."""
    G = G.copy()
    for j in categorical:
        levels = np.unique(X_train[:, j])
        G[:, j] = levels[np.abs(G[:, j][:, None] - levels[None]).argmin(axis=1)]
    return G


def _gdcore(name, epochs):
    def run(data):
        params = dict(SETTINGS[name], random_state=0, n_jobs=N_THREADS)
        if epochs:
            params["max_iter"] = epochs
        if name != "VAE":
            params["categorical_features"] = data["categorical"]
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = getattr(neural, name)(**params).fit(data["X"])
        fit_seconds = time.perf_counter() - start
        rows = model.sample(len(data["Xt"]))
        if name == "VAE":
            rows = _snap(rows, data["X"], data["categorical"])
        return {"rows": rows, "fit_seconds": fit_seconds}
    return run


def _ctgan(name, epochs):
    def run(data):
        import ctgan  # noqa: PLC0415 - the peer is optional: imported when the case runs
        import torch  # noqa: PLC0415

        torch.set_num_threads(N_THREADS)
        torch.manual_seed(0)
        model = getattr(ctgan, name)(**({"epochs": epochs} if epochs else {}))
        start = time.perf_counter()
        model.fit(data["X"], discrete_columns=list(data["categorical"]))
        fit_seconds = time.perf_counter() - start
        rows = np.asarray(model.sample(len(data["Xt"])), dtype=np.float64)
        return {"rows": rows, "fit_seconds": fit_seconds}
    return run


def _auc(ours, theirs, data):
    a, b = (classifier_two_sample_test(data["Xt"], side["rows"], random_state=0)["auc"]
            for side in (ours, theirs))
    return (f"C2ST AUC {a:.3f} vs {b:.3f}; fit s "
            f"{ours['fit_seconds']:.1f} vs {theirs['fit_seconds']:.1f}")


PAIRS = [("TabularDiffusion", "CTGAN"), ("TabularDiffusion", "TVAE"), ("GAN", "CTGAN"),
         ("VAE", "TVAE")]


def cases(size="full"):
    """Return this family's cases at ``size``, "full" or "quick"."""
    tables = [("breast_cancer", "398x30", _breast_cancer)]
    epochs = QUICK_EPOCHS if size == "quick" else None
    if size == "full":
        tables.append(("diabetes mixed", "309x11", _diabetes_mixed))
    out = []
    for table, shape, make in tables:
        for ours, theirs in PAIRS:
            out.append(Case(
                "neural", f"{ours} fit+sample, {table}", shape, f"ctgan {theirs}",
                (lambda key=table, make=make: cached(f"neural-{key}", make)),
                _gdcore(ours, epochs), _ctgan(theirs, epochs), _auc, repeat=1,
                min_seconds=0))
    return out
