"""HMMClassifier against the hmmlearn recipe it replaces.

With hmmlearn, classifying sequences means one GaussianHMM per class, each
fitted on its class's sequences, then Bayes' rule by a Python loop that
scores every sequence under every model.  The data: two classes of
sequences from two 4-state diagonal GaussianHMMs (8 features) with the same
emissions and close transition matrices (a sequence is told by its
dynamics alone), 400 sequences of 200 frames (quick: 60 of 100).  Both sides start
every class's model from the same parameters (init_params="", 10 EM
iterations, tol=0), so they fit the same models; the timed task is fit, then
predict on the same sequences.
"""

import numpy as np
from hmmlearn import hmm as hl

import gdcore
from gdcore.bench import Case, cached

SIZES = {"full": (400, 200), "quick": (60, 100)}
K, D, N_ITER = 4, 8, 10


def _params(seed=0):
    rng = np.random.default_rng(seed)
    # Close dynamics and overlapping emissions, so that some sequences are
    # ambiguous and the agreement column means something (accuracy ~0.9).
    stickier = 0.5 * np.eye(K) + 0.5 / K
    sticky = 0.4 * np.eye(K) + 0.6 / K
    return {"means": rng.normal(0.0, 0.7, (K, D)), "covars": np.ones((K, D)),
            "startprob": np.full(K, 1.0 / K), "transmats": (stickier, sticky)}


def _data(size):
    n_seq, T = SIZES[size]
    p = _params()
    rng = np.random.RandomState(0)
    X, y = [], np.arange(n_seq) % 2
    for label in y:
        m = hl.GaussianHMM(K, "diag", init_params="")
        m.startprob_, m.transmat_ = p["startprob"], p["transmats"][label]
        m.means_, m.covars_ = p["means"], p["covars"]
        X.append(m.sample(T, random_state=rng)[0])
    # The start both sides fit from: the true emissions, a neutral transition matrix.
    start = {"startprob_": p["startprob"], "transmat_": np.full((K, K), 1.0 / K),
             "means_": p["means"] + 0.3, "covars_": p["covars"]}
    return {"X": np.concatenate(X), "y": y, "lengths": np.full(n_seq, T), "start": start}


def _template(cls, start, **kw):
    m = cls(K, covariance_type="diag", n_iter=N_ITER, tol=0.0, init_params="", **kw)
    for name, value in start.items():
        setattr(m, name, value.copy())
    return m


def _gdcore(d):
    clf = gdcore.HMMClassifier(_template(gdcore.GaussianHMM, d["start"], n_jobs=2))
    return clf.fit(d["X"], d["y"], d["lengths"]).predict(d["X"], d["lengths"])


def _hmmlearn(d):
    bounds = np.concatenate([[0], np.cumsum(d["lengths"])])
    seqs = [d["X"][a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    models, log_prior = [], []
    for c in (0, 1):
        mine = [s for s, label in zip(seqs, d["y"]) if label == c]
        models.append(_template(hl.GaussianHMM, d["start"]).fit(
            np.concatenate(mine), [len(s) for s in mine]))
        log_prior.append(np.log(len(mine) / len(seqs)))
    scores = np.array([[m.score(s) for m in models] for s in seqs]) + log_prior
    return scores.argmax(axis=1)


def _agreement(ours, theirs, d):
    return (f"same labels {100 * (ours == theirs).mean():.2f}%, "
            f"accuracy {(ours == d['y']).mean():.4f} vs {(theirs == d['y']).mean():.4f}")


def cases(size="full"):
    n_seq, T = SIZES[size]
    return [Case(family="hmm", task=f"HMMClassifier fit + predict, 2 classes, "
                                    f"GaussianHMM K={K} d={D}, {N_ITER} EM iterations",
                 shape=f"{n_seq} x {T}", peer="hmmlearn, one model per class",
                 make_data=lambda: cached(("hmm_classifier", size), lambda: _data(size)),
                 run_gdcore=_gdcore, run_peer=_hmmlearn, agreement=_agreement, repeat=3)]
