"""n_jobs: capped at the usable cores, and never a change in the answer."""

import inspect
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone

from gdcore.tests.test_common import INSTANCES

_WITH_N_JOBS = [
    est for instances in INSTANCES.values() for est in instances[:1]
    if "n_jobs" in inspect.signature(type(est)).parameters
]


def _fit_output(est, n_jobs):
    """Fit a fresh copy on one small problem and return what it predicts or scores."""
    rng = np.random.default_rng(0)
    X = np.abs(rng.standard_normal((60, 4)))
    name = type(est).__name__
    if name == "CategoricalNB" or name == "CategoricalHMM":
        X = rng.integers(0, 3, (60, 1 if name == "CategoricalHMM" else 4))
    if name == "PoissonHMM":
        X = rng.poisson(3.0, (60, 4))
    y = np.repeat([0, 1, 2], 20)
    model = clone(est).set_params(n_jobs=n_jobs)
    if name.endswith("HMM"):
        model.set_params(random_state=0).fit(X, [30, 30])
        return model.score_samples(X, [30, 30])[1]
    if name == "HMMClassifier":
        model.fit(X, y[::10], [10] * 6)
        return model.predict_proba(X, [10] * 6)
    params = model.get_params()
    if "random_state" in params:
        model.set_params(random_state=0)
    if name == "NearestNeighbors":
        return model.fit(X).kneighbors(X)[0]
    model.fit(X, y)
    for method in ("predict_proba", "score_samples", "predict"):
        if hasattr(model, method):
            return getattr(model, method)(X)
    raise AssertionError(f"{name} has nothing to compare")


@pytest.mark.parametrize("est", _WITH_N_JOBS, ids=lambda e: type(e).__name__)
def test_n_jobs_beyond_the_cores_is_capped_and_changes_nothing(est):
    one = _fit_output(est, 1)
    for n_jobs in (2, 1000, 2**40, -1):
        np.testing.assert_array_equal(_fit_output(est, n_jobs), one, err_msg=str(n_jobs))


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_n_jobs_1000_under_an_address_space_limit():
    """A memory-capped job (ulimit -v 6 GiB) asking for 1000 threads still fits.

    Uncapped, OpenMP cannot create 1000 thread stacks there and libgomp
    aborts the interpreter.
    """
    code = textwrap.dedent("""
        import resource
        import numpy as np
        import gdcore
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
        X = np.random.default_rng(0).standard_normal((200, 5))
        y = np.arange(200) % 2
        for est in (gdcore.GaussianNB(n_jobs=1000), gdcore.KNeighborsClassifier(n_jobs=1000),
                    gdcore.RandomForestClassifier(5, n_jobs=1000, random_state=0)):
            est.fit(X, y).predict(X)
        gdcore.GaussianHMM(2, n_iter=2, n_jobs=1000, random_state=0).fit(X, [100, 100])
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
