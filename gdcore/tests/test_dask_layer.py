"""The shared Dask layer: balancing blocks over workers, and a fit that outlives a worker.

``balanced`` is a pure function (checked on random inputs); the fallback
runs on the session's LocalCluster (``gdcore/tests/dask_fixtures.py``: 2
workers of 1 thread), skipped only when dask is not installed.
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore._dask_resident import balanced
from gdcore.discriminative.linear import LogisticRegression


def _loads(groups, sizes, threads):
    return {w: sum(sizes[i] for i in blocks) / threads.get(w, 1)
            for w, blocks in groups.items()}


@st.composite
def _placements(draw):
    """Random block sizes, a random worker per block, and random threads per worker."""
    n_workers = draw(st.integers(1, 5))
    sizes = draw(st.lists(st.integers(1, 1000), min_size=1, max_size=30))
    owner = draw(st.lists(st.integers(0, n_workers - 1), min_size=len(sizes),
                          max_size=len(sizes)))
    threads = {f"w{k}": draw(st.integers(1, 4)) for k in range(n_workers)}
    groups = {f"w{k}": [i for i, o in enumerate(owner) if o == k] for k in range(n_workers)}
    return groups, sizes, threads


@settings(max_examples=300, deadline=None)
@given(_placements())
def test_balanced_moves_blocks_without_loss_and_never_worsens(placement):
    groups, sizes, threads = placement
    given_groups = {w: list(blocks) for w, blocks in groups.items()}
    out = balanced(groups, sizes, threads)
    assert groups == given_groups   # the caller's dict is left as it was
    # Every block once, each list sorted, no empty group, no new worker.
    assert sorted(i for blocks in out.values() for i in blocks) == list(range(len(sizes)))
    assert all(blocks == sorted(blocks) and blocks for blocks in out.values())
    assert set(out) <= set(groups)
    # The busiest worker (what a pass waits for) is never busier than before.
    assert max(_loads(out, sizes, threads).values()) <= \
        max(_loads(groups, sizes, threads).values())


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(0, 5))
def test_balanced_evens_equal_blocks(n_workers, n_blocks, start):
    """Equal blocks, equal threads, all on one worker: counts end within one of each other."""
    workers = [f"w{k}" for k in range(n_workers)]
    groups = {w: [] for w in workers}
    groups[workers[start % n_workers]] = list(range(n_blocks))
    out = balanced(groups, [100] * n_blocks, {w: 1 for w in workers})
    counts = [len(out.get(w, [])) for w in workers]
    assert max(counts) - min(counts) <= 1


def test_balanced_respects_threads():
    """A worker with twice the threads ends with twice the bytes: its loads per thread are equal."""
    groups = {"a": list(range(12)), "b": []}
    threads = {"a": 1, "b": 2}
    out = balanced(groups, [10] * 12, threads)
    assert len(out["a"]) == 4 and len(out["b"]) == 8
    loads = _loads(out, [10] * 12, threads)
    assert loads["a"] == loads["b"]


def test_balanced_keeps_a_spread_it_cannot_improve():
    groups = {"a": [0], "b": [1, 2]}
    sizes = [50, 20, 30]
    assert balanced(groups, sizes, {"a": 1, "b": 1}) == groups


def test_worker_lost_mid_fit_goes_on_with_tasks(dask_client, monkeypatch):
    """A worker holding a resident actor dies mid-fit: the passes go on as tasks.

    The actor and the columns kept in it die with the worker; ``BlockPasses``
    remakes the kept columns as futures (the lost blocks recomputed from
    their graph by the scheduler) and the fit completes with the iterates of
    the undisturbed fit: the model equals the in-memory one to 1e-10.
    """
    da = pytest.importorskip("dask.array")
    from gdcore import _dask_resident

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 5))
    y = (X @ rng.normal(size=5) + rng.logistic(size=4000) > 0).astype(int)
    params = dict(C=0.5, max_iter=8, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # 8 iterations do not converge
        ref = LogisticRegression(**params).fit(X, y)
    Xd = da.from_array(X, chunks=(500, 5)).persist()
    yd = da.from_array(y, chunks=500).persist()
    dask_client.wait_for_workers(2)
    before = set(dask_client.run(os.getpid).values())
    call = _dask_resident.Residents.call
    answered = []

    def call_then_kill(residents, *args, **kwargs):
        if len(answered) == 4:   # classes, prepared, weights, a first evaluation
            victim = residents.groups[0][0]
            try:
                dask_client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker ends before it answers
                pass
        out = call(residents, *args, **kwargs)
        answered.append(out is not None)
        return out

    monkeypatch.setattr(_dask_resident.Residents, "call", call_then_kill)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = LogisticRegression(**params).fit(Xd, yd)
    finally:
        dask_client.wait_for_workers(2, timeout=120)
    # The actors answered until the kill, then the passes left them for good.
    assert answered == [True] * 4 + [False]
    assert set(dask_client.run(os.getpid).values()) != before
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.intercept_, ref.intercept_, rtol=1e-10, atol=1e-13)
