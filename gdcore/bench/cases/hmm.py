"""Hidden Markov models against hmmlearn 0.3.3: one Baum-Welch iteration, Viterbi.

Full sizes are the README's: GaussianHMM (16 states, diag, 16 features) on
100 sequences x 2,000 steps, and CategoricalHMM (32 states, 50 symbols) on
100 x 10,000 steps.  Each EM case starts both libraries from the same
parameters (init_params="") and runs ``fit`` with ``n_iter=1``; the peer is
hmmlearn's default (implementation="log") and, in a second case, its
implementation="scaling".  Quick runs use 10 sequences of 500 steps.

Initialization: a default ``GaussianHMM(n_components=8, n_iter=5)`` fit,
k-means initialization included, on 200,000 x 16 frames of one sequence
(quick: 20,000) against hmmlearn's; agreement gives both final
log-likelihoods, and gdcore's mean over five seeds from its default
sampled k-means and from the whole-data one (``init_sample_size=None``,
hmmlearn's initialization).

MultinomialHMM (8 states, 10 categories, 20 trials per frame) on 50
sequences x 1,000 steps (quick: 10 x 200): one EM iteration from the same
parameters against hmmlearn's (which logs a notice about its 0.3 change at
construction; silenced here).

Variational Bayes (VariationalGaussianHMM "diag" and "full", VariationalCategoricalHMM)
on the models of the two EM cases above, 20 sequences x 1,000 steps (quick:
10 x 500; smaller than the EM cases because hmmlearn's VB E-step builds
(K, T, d) arrays for every sequence and full-covariance einsums): 5 iterations
(tol=-inf, so both run all 5) from the same posteriors, built from the EM
cases' starting parameters, against hmmlearn's ``vhmm`` classes; agreement
gives the final lower bounds.

Growth (``growth_cases``, ``gdcore bench --growth``): the GaussianHMM EM
iteration above on 25 -> 100 -> 400 -> 1,600 sequences of 2,000 steps
against hmmlearn's implementation="scaling", time and peak memory per size.

Missing values: GaussianHMM (4 states, full covariance, 20 % of the values
NaN) on 20 sequences x 500 steps (quick: 5 x 200), one EM iteration, with 8
features (214 distinct missing patterns in 10,000 frames) and 16 (3,774:
most frames have their own pattern, the case the kernels are for).  hmmlearn rejects NaN, so
the peer is gdcore's own NumPy twin of the missing-value kernels (one
Python iteration per missing pattern, the estimator's code before the
kernels), swapped in for the kernel module.
"""

import logging
import warnings
from unittest import mock

import numpy as np
from hmmlearn import hmm as hl
from hmmlearn import vhmm

import gdcore
from gdcore.bench import Case, cached
from gdcore.bench.cases import _hmm_classifier
from gdcore.generative.hmm import VariationalCategoricalHMM, VariationalGaussianHMM, _gaussian
from gdcore.generative.hmm._reference import hmm_missing as missing_reference

SIZES = {
    "full": {"gauss": (100, 2000), "cat": (100, 10000), "missing": (20, 500), "vb": (20, 1000)},
    "quick": {"gauss": (10, 500), "cat": (10, 500), "missing": (5, 200), "vb": (10, 500)},
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


def _data(kind, size, sizes_key=None):
    n_seq, T = SIZES[size][sizes_key or kind]
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


INIT_ROWS = {"full": 200_000, "quick": 20_000}
MULTINOMIAL = {"full": (50, 1000), "quick": (10, 200)}


def _multinomial_params(K=8, M=10, seed=0):
    rng = np.random.default_rng(seed)
    startprob, transmat = _random_params(K, seed)
    return {"startprob_": startprob, "transmat_": transmat,
            "emissionprob_": rng.dirichlet(np.ones(M), K)}


def _multinomial_data(size):
    n_seq, T = MULTINOMIAL[size]
    truth = _model(gdcore.MultinomialHMM, _multinomial_params(), n_trials=20)
    X, _, lengths = truth.sample_sequences(n_seq, T, random_state=1)
    return {"X": X, "lengths": lengths, "init": _multinomial_params(seed=2)}


def _fit_multinomial(cls, data):
    logger = logging.getLogger("hmmlearn")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return _fit_once(cls, data, n_trials=20)
    finally:
        logger.setLevel(level)
GROWTH_SEQUENCES = (25, 100, 400, 1_600)


def _init_data(size):
    """One sequence of 8-state, 16-feature Gaussian HMM frames (overlapping states)."""
    rng = np.random.default_rng(0)
    K, d = 8, 16
    startprob, transmat = _random_params(K, 0)
    truth = _model(gdcore.GaussianHMM, {"startprob_": startprob, "transmat_": transmat,
                                        "means_": rng.normal(0, 1.5, (K, d)),
                                        "covars_": rng.uniform(0.5, 2.0, (K, d))})
    X, _ = truth.sample(INIT_ROWS[size], random_state=1)
    return {"X": X}


def _fit_default(cls, data, random_state=0, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(n_components=8, n_iter=5, random_state=random_state, **kw).fit(data["X"])


def _init_agreement(ours, theirs, data):
    # Which local optimum 5 EM iterations reach depends on the seed whichever
    # k-means starts them, so the two initializations are compared by their
    # mean final log-likelihood over five seeds.
    seeds = range(5)
    sample = np.mean([_fit_default(gdcore.GaussianHMM, data, random_state=s)
                      .monitor_.history[-1] for s in seeds])
    whole = np.mean([_fit_default(gdcore.GaussianHMM, data, random_state=s,
                                  init_sample_size=None).monitor_.history[-1] for s in seeds])
    return (f"logL {ours.monitor_.history[-1]:.6g} vs {theirs.monitor_.history[-1]:.6g}; "
            f"mean over 5 seeds: sampled k-means {sample:.6g}, whole-data {whole:.6g}")


def growth_cases():
    """GaussianHMM (diag, K=16, d=16) 1 EM iteration on 25 -> 1,600 sequences x 2,000 steps.

    One Case per size (``Case.size`` = sequences), against hmmlearn's
    implementation="scaling"; ``gdcore bench --growth`` runs each once per
    side in a fresh process and fits the time exponent.
    """
    out = []
    for n_seq in GROWTH_SEQUENCES:
        def make(n_seq=n_seq):
            return cached(("growth", n_seq), lambda: _sequences(n_seq, 2000))
        out.append(Case(
            family="hmm", task="GaussianHMM diag K=16 d=16: 1 EM iteration",
            shape=f"{n_seq} x 2000", peer="hmmlearn (scaling)", make_data=make,
            run_gdcore=lambda d: _fit_once(gdcore.GaussianHMM, d),
            run_peer=lambda d: _fit_once(hl.GaussianHMM, d, implementation="scaling"),
            agreement=_em_agreement, repeat=1, min_seconds=0, size=n_seq))
    return out


def _vb_state(data):
    """Priors and posteriors from the EM cases' starting parameters, as counts of the data."""
    init, n_seq, n = data["init"], len(data["lengths"]), len(data["X"])
    K = len(init["startprob_"])
    state = {"startprob_prior_": np.full(K, 1 / K),
             "startprob_posterior_": init["startprob_"] * n_seq,
             "transmat_prior_": np.full((K, K), 1 / K),
             "transmat_posterior_": init["transmat_"] * n / K}
    if data["kind"] == "cat":
        M = init["emissionprob_"].shape[1]
        state.update(emissionprob_prior_=np.full((K, M), 1 / M),
                     emissionprob_posterior_=init["emissionprob_"] * n / K)
        return state
    d = init["means_"].shape[1]
    counts = np.full(K, n / K)
    state.update(means_prior_=np.zeros((K, d)), means_posterior_=init["means_"],
                 beta_prior_=np.ones(K), beta_posterior_=counts, dof_prior_=np.full(K, d * 1.0),
                 dof_posterior_=counts, diag=init["covars_"] * counts[:, None])
    return state


def _fit_vb(cls, data, covariance_type=None):
    """5 VB iterations from _vb_state (scale as the covariance type stores it)."""
    state = dict(_vb_state(data))
    kw = {} if covariance_type is None else {"covariance_type": covariance_type}
    if covariance_type is not None:
        diag, K = state.pop("diag"), len(state["startprob_prior_"])
        d = diag.shape[1]
        full = covariance_type == "full"
        state["scale_prior_"] = (np.tile(1e-3 * np.eye(d), (K, 1, 1)) if full
                                 else np.full((K, d), 1e-3))
        state["scale_posterior_"] = np.stack([np.diag(c) for c in diag]) if full else diag
    m = cls(n_components=len(state["startprob_prior_"]), init_params="", n_iter=5, tol=-np.inf,
            **kw)
    for name, value in state.items():
        setattr(m, name, value.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return m.fit(data["X"], data["lengths"])


def _vb_cases(size):
    out = []
    for kind, cov, label in (("gauss", "diag", "VariationalGaussianHMM diag K=16 d=16"),
                             ("gauss", "full", "VariationalGaussianHMM full K=16 d=16"),
                             ("cat", None, "VariationalCategoricalHMM K=32 M=50")):
        n_seq, T = SIZES[size]["vb"]
        ours = VariationalGaussianHMM if cov else VariationalCategoricalHMM
        theirs = vhmm.VariationalGaussianHMM if cov else vhmm.VariationalCategoricalHMM
        out.append(Case(
            family="hmm", task=f"{label}: 5 VB iterations", shape=f"{n_seq} x {T}",
            peer="hmmlearn", make_data=lambda kind=kind: cached(
                (kind, size, "vb"), lambda: _data(kind, size, "vb")),
            run_gdcore=lambda d, c=ours, t=cov: _fit_vb(c, d, t),
            run_peer=lambda d, c=theirs, t=cov: _fit_vb(c, d, t),
            agreement=_em_agreement, repeat=3, min_seconds=0))
    return out


def _sequences(n_seq, T):
    truth = _model(gdcore.GaussianHMM, _gaussian_params())
    X, _, lengths = truth.sample_sequences(n_seq, T, random_state=1)
    return {"X": X, "lengths": lengths, "init": _gaussian_params(seed=2), "kind": "gauss"}


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
    out.append(Case(
        family="hmm", task="GaussianHMM K=8 default fit (k-means init + 5 EM iterations)",
        shape=f"{INIT_ROWS[size]} x 16", peer="hmmlearn",
        make_data=lambda: cached(("init", size), lambda: _init_data(size)),
        run_gdcore=lambda d: _fit_default(gdcore.GaussianHMM, d),
        run_peer=lambda d: _fit_default(hl.GaussianHMM, d),
        agreement=_init_agreement, repeat=1, min_seconds=0))
    n_seq, T = MULTINOMIAL[size]
    out.append(Case(
        family="hmm", task="MultinomialHMM K=8 M=10 n_trials=20: 1 EM iteration",
        shape=f"{n_seq} x {T}", peer="hmmlearn",
        make_data=lambda: cached(("multinomial", size), lambda: _multinomial_data(size)),
        run_gdcore=lambda d: _fit_multinomial(gdcore.MultinomialHMM, d),
        run_peer=lambda d: _fit_multinomial(hl.MultinomialHMM, d),
        agreement=_em_agreement, repeat=3))
    n_seq, T = SIZES[size]["missing"]
    for d in (8, 16):
        out.append(Case(
            family="hmm", task=f"GaussianHMM full K=4 d={d}, 20% NaN: 1 EM iteration",
            shape=f"{n_seq} x {T}", peer="gdcore NumPy twin",
            make_data=lambda d=d: cached(("missing", size, d), lambda: _missing_data(size, d)),
            run_gdcore=_fit_missing, run_peer=lambda data: _fit_missing(data, reference=True),
            agreement=_em_agreement, repeat=3))
    return out + _vb_cases(size) + _hmm_classifier.cases(size)
