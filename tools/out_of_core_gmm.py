"""GaussianMixture on more rows than the cluster holds: a lazily generated Dask array.

    python tools/out_of_core_gmm.py                      # 100,000,000 x 16 (12.8 GB)
    python tools/out_of_core_gmm.py --rows 10_000_000    # a smaller run

Starts a ``LocalCluster`` (2 worker processes, 1 thread each, a memory
limit per worker well below X's size), builds X block by block from a
fixed seed per block (k Gaussian clusters in d dimensions; never
materialized: each EM pass regenerates every block on the workers, which is
what ``gdcore._dask.BlockPasses`` does when X does not fit in the workers'
memory), and fits ``GaussianMixture`` (full covariances) for a few EM
iterations from a given starting point (so no initialization pass).  Prints
the time of each EM iteration (GaussianMixture's verbose lines), the time of
the whole fit, and the peak resident memory of each worker process and of
the client.

Not part of the test suite or the bench: it takes minutes.
"""

import argparse
import logging
import resource
import subprocess
import time
import warnings

import numpy as np


def _block(block_info=None, k=16, d=16):
    """One block of X: rows of k Gaussian clusters, from a seed fixed by the block's place."""
    info = block_info[None]
    (start, stop), _ = info["array-location"]
    rng = np.random.default_rng([0, info["chunk-location"][0]])
    centres = np.random.default_rng(0).normal(0, 4, (k, d))
    labels = rng.integers(0, k, stop - start)
    return centres[labels] + rng.standard_normal((stop - start, d))


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    """Run the fit described in the module docstring and print its times and memory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=100_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--components", type=int, default=16)
    parser.add_argument("--chunk", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--memory-limit", default="4GiB",
                        help="per worker (default: 4GiB, a third of X at full size)")
    args = parser.parse_args()

    import dask.array as da
    from distributed import Client, LocalCluster

    import gdcore

    k, d, n, chunk = args.components, args.features, args.rows, args.chunk
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           memory_limit=args.memory_limit, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    chunks = ((chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ()), (d,))
    X = da.map_blocks(_block, dtype=np.float64, chunks=chunks, k=k, d=d)
    print(f"X: {n:,} x {d} float64 = {X.nbytes / 1e9:.1f} GB in {X.numblocks[0]} lazy blocks; "
          f"2 workers x 1 thread, memory limit {args.memory_limit} each")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    centres = np.random.default_rng(0).normal(0, 4, (k, d))
    model = gdcore.GaussianMixture(
        k, covariance_type="full", max_iter=args.iterations, tol=0, verbose=2,
        verbose_interval=1, weights_init=np.full(k, 1.0 / k), means_init=centres + 0.5,
        precisions_init=np.tile(np.eye(d), (k, 1, 1)))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # a few iterations do not converge
        model.fit(X)
    total = time.perf_counter() - start
    print(f"fit: {total:.1f} s for 1 validation pass + {args.iterations} EM iterations "
          f"({total / (args.iterations + 1):.1f} s a pass); lower bound {model.lower_bound_:.4f}")
    error = np.abs(np.sort(model.means_, 0) - np.sort(centres, 0)).max()
    print(f"max |means - true centres| (coordinates sorted): {error:.3f}")
    peaks = client.run(_peak_rss_mb)
    for address, mb in sorted(peaks.items()):
        print(f"worker {address}: peak resident memory {mb:,.0f} MB")
    print(f"client: peak resident memory {_peak_rss_mb():,.0f} MB")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
