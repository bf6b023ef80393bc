"""``gdcore.show_config()``: what this build of gdcore runs on."""

import os
import platform
import sys

import numpy as np
from threadpoolctl import threadpool_info

from gdcore._cy._openmp_info import openmp_enabled
from gdcore._fallback import FALLBACKS
from gdcore._threads import cpu_count, effective_n_threads


def config_info():
    """Return a dict of version, OpenMP, thread, BLAS and fallback facts.

    What :func:`show_config` prints, for programs and bug reports.

    Returns
    -------
    info : dict
        Keys 'gdcore', 'python', 'platform', 'numpy' (versions), 'openmp'
        (bool), 'threads', 'cpus', 'wait_policy', 'spin_count', 'blas' (a
        list of dicts) and 'fallbacks' (a list of dicts: estimator, peer,
        reason, fits).

    Examples
    --------
    >>> from gdcore._show_config import config_info
    >>> sorted(config_info())[:4]
    ['blas', 'cpus', 'fallbacks', 'gdcore']
    """
    from gdcore import __version__

    blas = [
        {
            "library": p.get("internal_api"),
            "version": p.get("version"),
            "threads": p.get("num_threads"),
            "path": p.get("filepath"),
        }
        for p in threadpool_info()
        if p.get("user_api") == "blas"
    ]
    return {
        "gdcore": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "openmp": openmp_enabled(),
        "threads": effective_n_threads(None),
        "wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "spin_count": os.environ.get("GOMP_SPINCOUNT", "default"),
        "cpus": cpu_count(),
        "blas": blas,
        "fallbacks": [
            {"estimator": est, "peer": peer, "reason": reason, "fits": n}
            for (est, peer, reason), n in sorted(FALLBACKS.items())
        ],
    }


def show_config(file=None):
    """Print gdcore's version, OpenMP state, threads, BLAS, and this process's fallbacks.

    A fallback is a fit that gdcore's kernels could not serve and that ran
    through the peer's implementation (scikit-learn's estimator), with the
    reason; the ``gdcore`` logger reports each at debug level as it happens.

    Parameters
    ----------
    file : file-like object, default=None
        Where to print; None prints to ``sys.stdout``.

    See Also
    --------
    config_info : The same facts as a dict.

    Examples
    --------
    >>> import io
    >>> import gdcore
    >>> out = io.StringIO()
    >>> gdcore.show_config(file=out)
    >>> [line.split()[0] for line in out.getvalue().splitlines()[:4]]
    ['gdcore', 'python', 'numpy', 'openmp']
    """
    info = config_info()
    out = file or sys.stdout
    print(f"gdcore   {info['gdcore']}", file=out)
    print(f"python   {info['python']} on {info['platform']}", file=out)
    print(f"numpy    {info['numpy']}", file=out)
    print(f"openmp   {'on' if info['openmp'] else 'off (single-threaded kernels)'}", file=out)
    print(f"threads  {info['threads']} by default ({info['cpus']} usable cores), "
          f"OMP_WAIT_POLICY={info['wait_policy']} GOMP_SPINCOUNT={info['spin_count']}",
          file=out)
    if not info["blas"]:
        print("blas     none found loaded", file=out)
    for b in info["blas"]:
        print(f"blas     {b['library']} {b['version']}, {b['threads']} threads ({b['path']})",
              file=out)
    if not info["fallbacks"]:
        print("fallback none in this process (every fit ran on gdcore's kernels)", file=out)
    for f in info["fallbacks"]:
        print(f"fallback {f['estimator']} -> {f['peer']} ({f['fits']} fits): {f['reason']}",
              file=out)
