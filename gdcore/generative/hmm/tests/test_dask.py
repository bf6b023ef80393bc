"""HMMs on a Dask cluster: partitions of whole sequences, the one-machine fit.

Runs on the session's LocalCluster (``gdcore/tests/dask_fixtures.py``);
skipped only when dask is not installed.
"""

import numpy as np
import pytest

from gdcore.generative.hmm import CategoricalHMM, GaussianHMM

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install 'gdcore[dask]')")

RTOL = 1e-10


def _sequences(n_seq=12, length=50, seed=0):
    model = GaussianHMM(3, covariance_type="full", random_state=seed)
    model.startprob_ = np.array([0.6, 0.3, 0.1])
    model.transmat_ = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    model.means_ = np.array([[0.0, 0.0], [3.0, 3.0], [-3.0, 2.0]])
    model.covars_ = np.tile(np.eye(2), (3, 1, 1))
    X, _, lengths = model.sample_sequences(n_seq, length, random_state=seed)
    return X, lengths


def _assert_same(a, b, names):
    for name in names:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(b.monitor_.history, a.monitor_.history, rtol=RTOL)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "tied", "spherical"])
def test_gaussian_hmm_equals_in_memory(dask_client, covariance_type):
    X, lengths = _sequences()
    X[::37, 1] = np.nan          # missing values are marginalized the same way
    params = dict(n_components=3, covariance_type=covariance_type, n_iter=5, tol=-1,
                  random_state=1)
    ref = GaussianHMM(**params).fit(X, lengths)
    # partitions of 4 and 8 sequences; lengths for all of X, split at the boundaries
    Xd = da.from_array(X, chunks=((200, 400), (2,))).persist()
    got = GaussianHMM(**params).fit(Xd, lengths)
    _assert_same(ref, got, ("startprob_", "transmat_", "means_", "covars_"))
    # lengths per partition give the same fit
    got2 = GaussianHMM(**params).fit(Xd, [lengths[:4], lengths[4:]])
    _assert_same(ref, got2, ("startprob_", "transmat_", "means_", "covars_"))
    states = got.predict(Xd, lengths)
    assert isinstance(states, da.Array)
    np.testing.assert_array_equal(states.compute(), ref.predict(X, lengths))
    np.testing.assert_allclose(got.predict_proba(Xd, lengths).compute(),
                               ref.predict_proba(X, lengths), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.score(Xd, lengths), ref.score(X, lengths), rtol=1e-10)


def test_lengths_as_a_dask_array(dask_client):
    X, lengths = _sequences(n_seq=6)
    params = dict(n_components=3, n_iter=4, tol=-1, random_state=0)
    ref = GaussianHMM(**params).fit(X, lengths)
    Xd = da.from_array(X, chunks=(100, 2))
    got = GaussianHMM(**params).fit(Xd, da.from_array(lengths, chunks=2))
    _assert_same(ref, got, ("startprob_", "transmat_", "means_", "covars_"))


def test_categorical_hmm(dask_client):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(300, 1))
    lengths = np.full(10, 30)
    params = dict(n_components=2, n_iter=5, tol=-1, random_state=0)
    ref = CategoricalHMM(**params).fit(X, lengths)
    got = CategoricalHMM(**params).fit(da.from_array(X, chunks=(90, 1)), lengths)
    _assert_same(ref, got, ("startprob_", "transmat_", "emissionprob_"))


def test_split_sequence_is_a_clear_error(dask_client):
    X, lengths = _sequences(n_seq=4)
    Xd = da.from_array(X, chunks=(75, 2))        # boundaries inside sequences
    with pytest.raises(ValueError, match="split across two partitions"):
        GaussianHMM(2, n_iter=2).fit(Xd, lengths)
    with pytest.raises(ValueError, match="sequence cannot be split"):
        GaussianHMM(2, n_iter=2).fit(Xd)
    with pytest.raises(ValueError, match="whole sequences"):
        GaussianHMM(2, n_iter=2).fit(Xd, [[70], [80], [50]])


def test_poisson_and_gmm_hmm(dask_client):
    from gdcore.generative.hmm import GMMHMM, PoissonHMM
    X, lengths = _sequences(n_seq=6)
    params = dict(n_components=2, n_iter=3, tol=-1, random_state=0)
    Xd = da.from_array(X, chunks=(150, 2))
    ref = GMMHMM(n_mix=2, **params).fit(X, lengths)
    got = GMMHMM(n_mix=2, **params).fit(Xd, lengths)
    _assert_same(ref, got, ("startprob_", "transmat_", "weights_", "means_", "covars_"))
    counts = np.random.default_rng(0).poisson(3.0, size=(300, 2))
    ref = PoissonHMM(**params).fit(counts, lengths)
    got = PoissonHMM(**params).fit(da.from_array(counts, chunks=(150, 2)), lengths)
    _assert_same(ref, got, ("startprob_", "transmat_", "lambdas_"))


@pytest.mark.parametrize("algorithm", ["viterbi", "map"])
def test_decode_score_samples_and_per_sequence_scores(dask_client, algorithm):
    X, lengths = _sequences()
    model = GaussianHMM(3, covariance_type="diag", n_iter=3, tol=-1, random_state=0,
                        algorithm=algorithm).fit(X, lengths)
    Xd = da.from_array(X, chunks=((200, 400), (2,)))
    logprob, states = model.decode(Xd, lengths)
    ref_logprob, ref_states = model.decode(X, lengths)
    assert isinstance(states, da.Array)
    np.testing.assert_allclose(logprob, ref_logprob, rtol=1e-12)
    np.testing.assert_array_equal(states.compute(), ref_states)
    logprob, post = model.score_samples(Xd, [lengths[:4], lengths[4:]])
    ref_logprob, ref_post = model.score_samples(X, lengths)
    assert isinstance(post, da.Array) and post.shape == ref_post.shape
    np.testing.assert_allclose(logprob, ref_logprob, rtol=1e-12)
    np.testing.assert_allclose(post.compute(), ref_post, rtol=1e-10, atol=1e-14)
    per_seq = model.score(Xd, lengths, per_sequence=True)
    assert isinstance(per_seq, da.Array) and per_seq.shape == (len(lengths),)
    np.testing.assert_allclose(per_seq.compute(), model.score(X, lengths, per_sequence=True),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="split across two partitions"):
        model.decode(da.from_array(X, chunks=(75, 2)), lengths)
