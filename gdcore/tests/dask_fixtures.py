"""A Dask cluster for the distributed-layer tests (``gdcore/*/*/tests/test_dask.py``).

One ``LocalCluster`` for the whole session: 2 worker processes with 1
thread each (the smallest cluster where blocks really run in separate
processes and statistics really travel), started on first use.  Tests that
need it take the ``dask_client`` fixture; without dask installed they are
skipped with the reason.
"""

import logging

import pytest


@pytest.fixture(scope="session")
def dask_client():
    pytest.importorskip("distributed", reason="dask[distributed] is not installed "
                        "(pip install 'gdcore[dask]')")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()
