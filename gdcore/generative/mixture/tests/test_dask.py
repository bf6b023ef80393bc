"""GaussianMixture on a Dask cluster equals GaussianMixture on one machine.

Every test runs on the session's LocalCluster (2 worker processes, 1 thread
each; ``gdcore/tests/dask_fixtures.py``) and is skipped only when dask is not
installed.
"""

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from gdcore.generative.mixture import GaussianMixture

try:
    import dask.array as da
except ImportError:   # every test but the first takes dask_client, which skips
    da = None

RTOL = 1e-10
FITTED = ("weights_", "means_", "covariances_", "precisions_cholesky_")


def test_gdcore_runs_without_dask():
    """Without dask (its imports made to fail) gdcore imports and fits."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('dask', 'distributed'):\n"
        "            raise ImportError('dask is not installed')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np, gdcore\n"
        "X = np.random.default_rng(0).normal(size=(50, 2))\n"
        "gdcore.GaussianMixture(2, random_state=0).fit(X).predict(X)\n"
        "gdcore.GaussianNB().fit(X, X[:, 0] > 0).predict(X)\n"
        "assert 'dask' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _data(n=600, d=3, nan_share=0.0, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n // 2, d)), rng.normal(3, 1.5, size=(n - n // 2, d))])
    if nan_share:
        X[rng.random(X.shape) < nan_share] = np.nan
        X[np.isnan(X).all(axis=1), 0] = 0.0
    return X


def _assert_same_fit(a, b):
    for name in FITTED:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=RTOL, atol=1e-13)
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_allclose(b.lower_bound_, a.lower_bound_, rtol=RTOL)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("nan_share", [0.0, 0.1], ids=["complete", "nan"])
def test_fit_equals_in_memory(dask_client, covariance_type, nan_share):
    X = _data(nan_share=nan_share)
    params = dict(n_components=3, covariance_type=covariance_type, random_state=0,
                  max_iter=6, tol=1e-8)
    with pytest.warns(Warning):   # 6 iterations do not converge
        ref = GaussianMixture(**params).fit(X)
    for chunks in (600, 97):    # one block; many uneven blocks
        with pytest.warns(Warning):
            got = GaussianMixture(**params).fit(da.from_array(X, chunks=(chunks, 3)).persist())
        _assert_same_fit(ref, got)
    proba = got.predict_proba(da.from_array(X, chunks=(128, 3)))
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(got.predict(da.from_array(X, chunks=200)).compute(),
                                  ref.predict(X))
    np.testing.assert_allclose(got.score_samples(da.from_array(X, chunks=200)).compute(),
                               ref.score_samples(X), rtol=1e-9)


def test_given_initialization_and_weights(dask_client):
    """Large-X contract: with every initial parameter given, the same fit; weights too."""
    X = _data(n=900, d=4)
    rng = np.random.default_rng(1)
    w = rng.uniform(0.5, 2.0, len(X))
    init = GaussianMixture(2, random_state=0, max_iter=1).fit(X)
    params = dict(n_components=2, weights_init=init.weights_, means_init=init.means_,
                  precisions_init=init.precisions_, max_iter=10, tol=0)
    with pytest.warns(Warning):
        ref = GaussianMixture(**params).fit(X, sample_weight=w)
    with pytest.warns(Warning):
        got = GaussianMixture(**params).fit(da.from_array(X, chunks=(150, 2)),
                                            sample_weight=da.from_array(w, chunks=300))
    _assert_same_fit(ref, got)


def test_dataframe_and_fit_predict(dask_client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X = _data(n=400, d=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    ref = GaussianMixture(2, random_state=0).fit(frame)
    ddf = dd.from_pandas(frame, npartitions=3)
    got = GaussianMixture(2, random_state=0).fit(ddf)
    _assert_same_fit(ref, got)
    assert list(got.feature_names_in_) == ["a", "b", "c"]
    labels = GaussianMixture(2, random_state=0).fit_predict(ddf)
    np.testing.assert_array_equal(labels.compute(), ref.predict(frame))


def test_bad_input_is_a_clear_error(dask_client):
    X = _data(n=200)
    X[5] = np.nan
    with pytest.raises(ValueError, match="every value missing"):
        GaussianMixture(2).fit(da.from_array(X, chunks=50))
    X[5] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        GaussianMixture(2).fit(da.from_array(X, chunks=50))
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(5).fit(da.from_array(_data(n=4), chunks=2))


def _lazy_random(n, d, chunk):
    """Return a lazy (n, d) array generated on the workers, block by block."""
    return da.random.RandomState(0).random_sample((n, d), chunks=(chunk, d))


def test_x_stays_on_the_workers(dask_client):
    """512 MB of lazily generated rows fitted while the client allocates < 32 MB.

    tracemalloc counts every NumPy buffer the client process allocates; X
    (4e6 x 16 float64 = 512 MB, in 16 blocks never persisted) would need 16
    times the bound to arrive.  The size keeps the test a few seconds long;
    the bound does not depend on it.
    """
    n, d = 4_000_000, 16
    X = _lazy_random(n, d, 250_000)
    init = dict(weights_init=[0.5, 0.5], means_init=np.stack([np.zeros(d), np.ones(d)]),
                precisions_init=np.full((2, d), 12.0))
    tracemalloc.start()
    try:
        gm = GaussianMixture(2, covariance_type="diag", max_iter=1, **init).fit(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, peak
    np.testing.assert_allclose(gm.weights_.sum(), 1.0)
    assert np.all((gm.means_ > 0.2) & (gm.means_ < 0.8))


def _exit_on_third_read(block, counter):
    """Return the block, but end this worker process the third time it is read.

    The third read of block 0 is in the fit's second EM pass (the first read
    is the validation pass): a worker dies mid-fit, deterministically.
    """
    with open(counter, "a+") as f:
        f.write(".")
        f.seek(0)
        reads = len(f.read())
    if reads == 3:
        os._exit(1)       # this worker process of the test's own cluster dies
    return block


def test_worker_killed_mid_fit_changes_nothing(dask_client, tmp_path, monkeypatch):
    """A worker process dying during the fit: the nanny restarts it.

    The lost blocks are recomputed (X is lazy, and not persisted: the
    out-of-core mode, which reads it at every pass), and the statistics are
    added in a fixed tree, so the fit that completes is the one an
    undisturbed cluster gives; the other allowed outcome is Dask's clear
    KilledWorker error, never a silently different model.
    """
    from gdcore import _dask_passes
    monkeypatch.setattr(_dask_passes, "PERSIST_MEMORY_SHARE", 0.0)
    X = _lazy_random(100_000, 8, 12_500)
    params = dict(n_components=3, covariance_type="full", random_state=0, max_iter=4, tol=0)
    with pytest.warns(Warning):
        ref = GaussianMixture(**params).fit(X)
    dask_client.wait_for_workers(2)
    before = set(dask_client.run(os.getpid).values())
    counter = str(tmp_path / "reads")
    fragile = X.map_blocks(lambda b, block_info=None: _exit_on_third_read(b, counter)
                           if block_info[0]["chunk-location"][0] == 0 else b,
                           dtype=X.dtype)
    try:
        with pytest.warns(Warning):
            got = GaussianMixture(**params).fit(fragile)
    except Exception as exc:  # a clear error is the other allowed outcome
        assert "worker" in str(exc).lower() or "Killed" in type(exc).__name__
    else:
        _assert_same_fit(ref, got)
    finally:
        dask_client.wait_for_workers(2, timeout=120)
    with open(counter) as f:
        assert len(f.read()) >= 3          # the worker did die mid-fit
    assert set(dask_client.run(os.getpid).values()) != before
