"""The k-means initialization and the fused Gaussian E-step against their references.

k-means: the compiled kernels equal their NumPy twin, and the driver gives
scikit-learn's ``KMeans(n_init=10)`` centres (hmmlearn's initialization) on
bundled datasets.  Fused E-step: equal to the unfused twin (log-densities,
log-space forward-backward, moments), float32/float64, 1 and 2 threads.
"""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris, load_wine

from gdcore._threads import single_threaded_blas
from gdcore.generative.hmm import GMMHMM, GaussianHMM, _hmm_gaussian, _hmm_kmeans, _kmeans
from gdcore.generative.hmm._reference import hmm_gaussian as ref_gauss
from gdcore.generative.hmm._reference import hmm_kmeans as ref_km


@pytest.mark.parametrize("n,d,K", [(1, 1, 1), (5, 3, 2), (9000, 4, 5), (300, 16, 9)])
def test_lloyd_assign_matches_reference(n, d, K, dtype, n_threads):
    rng = np.random.default_rng(n + K)
    X = rng.normal(size=(n, d)).astype(dtype)
    centers = rng.normal(size=(K, d))
    got, want = [], []
    for mod, out in ((_hmm_kmeans, got), (ref_km, want)):
        labels, sums, counts = np.empty(n, np.intp), np.empty((K, d)), np.empty(K)
        out.append(mod.lloyd_assign(X, centers, labels, sums, counts, n_threads))
        out += [labels, sums, counts]
    np.testing.assert_array_equal(got[1], want[1])
    for a, b in zip(got[:1] + got[2:], want[:1] + want[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    dist = np.empty((n, 3))
    _hmm_kmeans.sq_distances(X, centers[:3].copy() if K >= 3 else np.tile(centers[:1], (3, 1)),
                             dist, n_threads)
    want_d = np.empty((n, 3))
    ref_km.sq_distances(X, centers[:3] if K >= 3 else np.tile(centers[:1], (3, 1)), want_d, 1)
    np.testing.assert_allclose(dist, want_d, rtol=1e-12, atol=1e-12)


def test_lloyd_assign_is_bit_identical_on_any_thread_count():
    rng = np.random.default_rng(0)
    X, centers = rng.normal(size=(50_000, 7)), rng.normal(size=(6, 7))
    runs = []
    for n_threads in (1, 2, 3):
        labels, sums, counts = np.empty(len(X), np.intp), np.empty((6, 7)), np.empty(6)
        inertia = _hmm_kmeans.lloyd_assign(X, centers, labels, sums, counts, n_threads)
        runs.append((inertia, sums.tobytes(), counts.tobytes(), labels.tobytes()))
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.parametrize("data", [load_iris().data, load_wine().data])
@pytest.mark.parametrize("k", [2, 3, 8])
def test_kmeans_gives_scikit_learns_centres(data, k):
    # hmmlearn's initialization, KMeans(k, random_state, n_init=10), is kept:
    # the same draws from random_state give the same seeds and centres.
    for seed in (0, 7):
        want = KMeans(k, n_init=10, random_state=seed).fit(data)
        got = _kmeans.kmeans(data, k, seed)
        np.testing.assert_allclose(got.cluster_centers_, want.cluster_centers_, rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_array_equal(got.labels_, want.labels_)
        twin = _kmeans.kmeans(data, k, seed, kernels=ref_km)
        np.testing.assert_allclose(twin.cluster_centers_, got.cluster_centers_, rtol=1e-9)


def test_kmeans_sample_is_drawn_from_random_state():
    X = np.random.default_rng(0).normal(size=(5000, 3))
    a = _kmeans.kmeans(X, 4, 1, sample_size=500)
    b = _kmeans.kmeans(X, 4, np.random.RandomState(1), sample_size=500)
    c = _kmeans.kmeans(X, 4, 2, sample_size=500)
    assert len(a.labels_) == 500
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert not np.array_equal(a.cluster_centers_, c.cluster_centers_)
    # A sample at least as large as X is X: the full k-means.
    np.testing.assert_array_equal(_kmeans.kmeans(X, 4, 1, sample_size=5000).cluster_centers_,
                                  _kmeans.kmeans(X, 4, 1).cluster_centers_)


def test_kmeans_relocates_empty_clusters_and_warns_on_duplicates():
    X = np.repeat(np.eye(2), 10, axis=0)         # two distinct points, three clusters
    with pytest.warns(Warning, match="distinct clusters"):
        got = _kmeans.kmeans(X, 3, 0)
    assert np.all(np.isfinite(got.cluster_centers_))


@pytest.mark.parametrize("cls", [GaussianHMM, GMMHMM])
def test_init_sample_size_is_validated_and_none_is_hmmlearns(cls):
    X = np.random.default_rng(0).normal(size=(300, 2))
    with pytest.raises(ValueError, match="init_sample_size"):
        cls(2, init_sample_size=0, n_iter=1).fit(X)
    a = cls(2, init_sample_size=None, n_iter=0, random_state=0).fit(X)
    b = cls(2, init_sample_size=300, n_iter=0, random_state=0).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)


def _fused_inputs(lengths, K, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
    X = rng.normal(size=(offsets[-1], d)).astype(dtype)
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), K)
    if K > 2:
        transmat[0, 1] = 0.0
        transmat[0] /= transmat[0].sum()
    return X, offsets, rng.normal(size=(K, d)), rng.uniform(0.5, 2, (K, d)), startprob, transmat


def _run_fused(mod, args, n_threads, forward_only=False):
    X, offsets, means, covars, sp, tm = args
    K, d = means.shape
    outs = [np.empty(len(offsets) - 1), np.empty(K), np.empty((K, K)), np.empty((K, 2 * d + 1))]
    with single_threaded_blas():
        status = mod.forward_backward_gaussian_diag(X, offsets, means, covars, sp, tm, *outs,
                                                    n_threads, forward_only)
    return status, outs


@pytest.mark.parametrize("K,d,lengths", [(1, 1, [1]), (2, 1, [1, 1, 1]), (3, 4, [7, 1, 300, 3]),
                                         (5, 2, [129, 257, 128])])
def test_fused_gaussian_estep_matches_reference(K, d, lengths, dtype, n_threads):
    args = _fused_inputs(lengths, K, d, dtype)
    status, got = _run_fused(_hmm_gaussian, args, n_threads)
    ref_status, want = _run_fused(ref_gauss, args, 1)
    assert status == ref_status == 0
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    status, fwd = _run_fused(_hmm_gaussian, args, n_threads, forward_only=True)
    assert status == 0
    np.testing.assert_allclose(fwd[0], want[0], rtol=1e-10)


def test_fused_gaussian_estep_is_bit_identical_on_any_thread_count():
    args = _fused_inputs([400] * 37, 6, 5, np.float64, seed=3)
    runs = [_run_fused(_hmm_gaussian, args, n)[1] for n in (1, 2, 3)]
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            assert a.tobytes() == b.tobytes()


def test_fused_gaussian_estep_reports_non_finite_densities():
    args = list(_fused_inputs([5, 5], 2, 2, np.float64))
    args[3] = np.full((2, 2), np.nan)           # NaN variances
    assert _run_fused(_hmm_gaussian, args, 1)[0] == _hmm_gaussian.STATUS_BAD_LOGLIK


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_fused_fit_and_score_equal_hmmlearn(covariance_type):
    # Several sequences without NaN: fit and score run the fused kernel.
    hl = pytest.importorskip("hmmlearn.hmm")
    params = {"startprob_": np.array([0.5, 0.3, 0.2]),
              "transmat_": np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]]),
              "means_": np.array([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.0]]),
              "covars_": (np.array([1.0, 0.5, 2.0]) if covariance_type == "spherical"
                          else np.array([[1.0, 0.5], [0.5, 1.0], [2.0, 0.3]]))}
    truth = GaussianHMM(3, covariance_type=covariance_type, init_params="")
    for name, value in params.items():
        setattr(truth, name, value)
    X, _, lengths = truth.sample_sequences(12, 150, random_state=1)
    models = []
    for cls in (GaussianHMM, hl.GaussianHMM):
        m = cls(3, covariance_type=covariance_type, n_iter=4, init_params="", tol=-np.inf)
        for name, value in params.items():
            setattr(m, name, value.copy())
        models.append(m.fit(X, lengths))
    ours, theirs = models
    # (hmmlearn's spherical covars_ property mis-shapes a (K,) array: the
    # variances are compared through the log-likelihood history below.)
    names = ("startprob_", "transmat_", "means_") + (("_covars_",) if covariance_type == "diag"
                                                     else ())
    for name in names:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-7,
                                   atol=1e-9)
    np.testing.assert_allclose(ours.score(X, lengths), theirs.score(X, lengths), rtol=1e-10)
    np.testing.assert_allclose(ours.monitor_.history, theirs.monitor_.history, rtol=1e-10)
