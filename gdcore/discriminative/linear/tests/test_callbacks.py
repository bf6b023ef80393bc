"""scikit-learn's fit callbacks (``set_callbacks``, scikit-learn >= 1.9) on LogisticRegression."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification

from gdcore import LogisticRegression

callback = pytest.importorskip("sklearn.callback")


class Recorder:
    """A FitCallback that keeps (hook, task name, task id, fitted_estimator)."""

    def __init__(self):
        self.record = []

    def setup(self, estimator, context):
        self.record.append(("setup", None, None, None))

    def teardown(self, estimator, context):
        self.record.append(("teardown", None, None, None))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None,
                          fitted_estimator=None):
        self.record.append(("begin", context.task_name, context.task_id, fitted_estimator))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self.record.append(("end", context.task_name, context.task_id, fitted_estimator))


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


@pytest.mark.parametrize("max_iter", [0, 2, 1000])
def test_hooks_run_once_per_iteration_plus_root_and_empty_last(max_iter):
    X, y = make_classification(n_features=4, random_state=0)
    cb = Recorder()
    lr = _fit_quietly(LogisticRegression(max_iter=max_iter).set_callbacks(cb), X, y)
    names = [r[0] for r in cb.record]
    assert names[0] == "setup" and names[-1] == "teardown"
    expected = 1 + max(int(lr.n_iter_[0]), 1) + 1  # scikit-learn's count
    assert names.count("begin") == names.count("end") == expected


@pytest.mark.parametrize("n_classes", [2, 3])
def test_fitted_estimator_of_iteration_i_is_the_fit_with_max_iter_i(n_classes):
    X, y = make_classification(n_features=4, n_informative=4, n_redundant=0,
                               n_classes=n_classes, random_state=0)
    cb = Recorder()
    lr = LogisticRegression().set_callbacks(cb).fit(X, y)
    ends = [r for r in cb.record if r[0] == "end" and r[1] == "lbfgs-iter"]
    assert [r[2] for r in ends] == list(range(len(ends)))
    for i in (0, int(lr.n_iter_[0]) // 2):
        expected = _fit_quietly(LogisticRegression(max_iter=i + 1), X, y)
        est = ends[i][3]
        assert est.coef_.dtype == X.dtype
        assert_allclose(est.coef_, expected.coef_)
        assert_allclose(est.intercept_, expected.intercept_)
        np.testing.assert_array_equal(est.predict(X), expected.predict(X))
    assert ends[-1][3] is None  # the empty subtask after SciPy's last iteration
    # the callbacks change nothing in the fit
    assert_allclose(lr.coef_, LogisticRegression().fit(X, y).coef_)


def test_other_solvers_warn_and_ignore_callbacks():
    cb = Recorder()
    with pytest.warns(UserWarning, match="only supported .* for solver='lbfgs'"):
        lr = LogisticRegression(solver="newton-cg").set_callbacks(cb)
    X, y = make_classification(n_features=4, random_state=0)
    lr.fit(X, y)
    assert cb.record == []
