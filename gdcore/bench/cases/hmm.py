"""Hidden Markov models against hmmlearn 0.3.3: one Baum-Welch iteration, Viterbi.

Full sizes are the README's: GaussianHMM (16 states, diag, 16 features) on
100 sequences x 2,000 steps, and CategoricalHMM (32 states, 50 symbols) on
100 x 10,000 steps.  Each EM case starts both libraries from the same
parameters (init_params="") and runs ``fit`` with ``n_iter=1``; the peer is
hmmlearn's default (implementation="log") and, in a second case, its
implementation="scaling".  Quick runs use 10 sequences of 500 steps.

Missing values: GaussianHMM (4 states, full covariance, 20 % of the values
NaN) on 20 sequences x 500 steps (quick: 5 x 200), one EM iteration, with 8
features (214 distinct missing patterns in 10,000 frames) and 16 (3,774:
most frames have their own pattern, the case the kernels are for).  hmmlearn rejects NaN, so
the peer is gdcore's own NumPy twin of the missing-value kernels (one
Python iteration per missing pattern, the estimator's code before the
kernels), swapped in for the kernel module.
"""

import warnings
from unittest import mock

import numpy as np
from hmmlearn import hmm as hl

import gdcore
from gdcore.bench import Case, cached
from gdcore.bench.cases import _hmm_classifier
from gdcore.generative.hmm import _gaussian
from gdcore.generative.hmm._reference import hmm_missing as missing_reference

SIZES = {
    "full": {"gauss": (100, 2000), "cat": (100, 10000), "missing": (20, 500)},
    "quick": {"gauss": (10, 500), "cat": (10, 500), "missing": (5, 200)},
}


def _random_params(K, seed):
    rng = np.random.default_rng(seed)
    transmat = rng.dirichlet(np.ones(K), K) + 4 * np.eye(K)   # sticky states
    return rng.dirichlet(np.ones(K)), transmat / transmat.sum(axis=1, keepdims=True)


def _gaussian_params(K=16, d=16, seed=0):
    rng = np.random.default_rng(seed)
    startprob, transmat = _random_params(K, seed)
    return {"startprob_": startprob, "transmat_": transmat,
            "means_": rng.normal(0, 2, (K, d)), "covars_": rng.uniform(0.5, 2.0, (K, d))}


def _categorical_params(K=32, M=50, seed=0):
    rng = np.random.default_rng(seed)
    startprob, transmat = _random_params(K, seed)
    return {"startprob_": startprob, "transmat_": transmat,
            "emissionprob_": rng.dirichlet(np.full(M, 0.3), K)}


def _model(cls, params, **kw):
    m = cls(n_components=len(params["startprob_"]), init_params="", **kw)
    for name, value in params.items():
        setattr(m, name, value.copy())
    return m


def _data(kind, size):
    n_seq, T = SIZES[size][kind]
    if kind == "gauss":
        truth = _model(gdcore.GaussianHMM, _gaussian_params())
    else:
        truth = _model(gdcore.CategoricalHMM, _categorical_params())
    X, _, lengths = truth.sample_sequences(n_seq, T, random_state=1)
    # The fit starts from perturbed parameters, as a real EM iteration would.
    init = _gaussian_params(seed=2) if kind == "gauss" else _categorical_params(seed=2)
    return {"X": X, "lengths": lengths, "init": init, "kind": kind}


def _missing_data(size, d, K=4, p_missing=0.2):
    rng = np.random.default_rng(0)
    startprob, transmat = _random_params(K, 0)
    A = rng.normal(size=(K, d, d))
    truth = _model(gdcore.GaussianHMM, {
        "startprob_": startprob, "transmat_": transmat, "means_": rng.normal(0, 2, (K, d)),
        "covars_": A @ A.transpose(0, 2, 1) / d + np.eye(d)}, covariance_type="full")
    n_seq, T = SIZES[size]["missing"]
    X, _, lengths = truth.sample_sequences(n_seq, T, random_state=1)
    X[rng.random(X.shape) < p_missing] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.0
    init = {"startprob_": startprob, "transmat_": transmat,
            "means_": rng.normal(0, 2, (K, d)), "covars_": np.tile(np.eye(d), (K, 1, 1))}
    return {"X": X, "lengths": lengths, "init": init}


def _fit_missing(data, reference=False):
    """One EM iteration; ``reference``: on the NumPy twin of the kernels."""
    if reference:
        with mock.patch.object(_gaussian, "_miss", missing_reference):
            return _fit_missing(data)
    return _fit_once(gdcore.GaussianHMM, data, covariance_type="full")


def _classes(kind):
    return ((gdcore.GaussianHMM, hl.GaussianHMM) if kind == "gauss"
            else (gdcore.CategoricalHMM, hl.CategoricalHMM))


def _fit_once(cls, data, **kw):
    m = _model(cls, data["init"], n_iter=1, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return m.fit(data["X"], data["lengths"])


def _em_agreement(ours, theirs, data):
    rel = abs(ours.monitor_.history[-1] - theirs.monitor_.history[-1]) / abs(
        theirs.monitor_.history[-1])
    return (f"logL rel {rel:.0e}, "
            f"max |dA| {np.abs(ours.transmat_ - theirs.transmat_).max():.0e}")


def _viterbi_agreement(ours, theirs, data):
    same = np.mean(ours[1] == theirs[1])
    return f"logP rel {abs(ours[0] - theirs[0]) / abs(theirs[0]):.0e}, path {same:.4f} same"


def cases(size="full"):
    """Return this family's cases at ``size``, "full" or "quick"."""
    out = []
    for kind, label in (("gauss", "GaussianHMM diag K=16 d=16"),
                        ("cat", "CategoricalHMM K=32 M=50")):
        n_seq, T = SIZES[size][kind]
        shape = f"{n_seq} x {T}"
        ours_cls, peer_cls = _classes(kind)

        def make(kind=kind):
            return cached((kind, size), lambda: _data(kind, size))

        for impl in ("log", "scaling"):
            out.append(Case(
                family="hmm", task=f"{label}: 1 EM iteration", shape=shape,
                peer=f"hmmlearn ({impl})", make_data=make,
                run_gdcore=lambda d, c=ours_cls: _fit_once(c, d),
                run_peer=lambda d, c=peer_cls, i=impl: _fit_once(c, d, implementation=i),
                agreement=_em_agreement, repeat=3))
        out.append(Case(
            family="hmm", task=f"{label}: Viterbi decode", shape=shape, peer="hmmlearn",
            make_data=make,
            run_gdcore=lambda d, c=ours_cls: _model(c, d["init"]).decode(d["X"], d["lengths"]),
            run_peer=lambda d, c=peer_cls: _model(c, d["init"]).decode(d["X"], d["lengths"]),
            agreement=_viterbi_agreement, repeat=3))
    n_seq, T = SIZES[size]["missing"]
    for d in (8, 16):
        out.append(Case(
            family="hmm", task=f"GaussianHMM full K=4 d={d}, 20% NaN: 1 EM iteration",
            shape=f"{n_seq} x {T}", peer="gdcore NumPy twin",
            make_data=lambda d=d: cached(("missing", size, d), lambda: _missing_data(size, d)),
            run_gdcore=_fit_missing, run_peer=lambda data: _fit_missing(data, reference=True),
            agreement=_em_agreement, repeat=3))
    return out + _hmm_classifier.cases(size)
