"""The prediction kernel (``_svm_predict.decision_values``) against its NumPy twin."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from gdcore.discriminative.svm import SVC, _svm_predict
from gdcore.discriminative.svm import _reference as ref
from gdcore.discriminative.svm._multiclass import ovo_decision, pair_columns

CODES = {"linear": ref.LINEAR, "poly": ref.POLY, "rbf": ref.RBF}


def _case(n, m, d, n_classes, kernel, dtype, seed=0):
    """Random test rows, support vectors grouped by class, and libsvm's layout."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    SV = rng.standard_normal((m, d)).astype(dtype)
    sizes = rng.multinomial(m, np.ones(n_classes) / n_classes)
    group_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intc)
    coef = rng.uniform(-1, 1, (n_classes - 1, m))
    n_out = n_classes * (n_classes - 1) // 2
    sv_sq = np.einsum("ij,ij->i", SV, SV, dtype=np.float64)
    args = (X, SV, sv_sq, kernel, 0.3 / max(d, 1), 0.5, 3, coef, group_ptr,
            pair_columns(n_classes), rng.standard_normal(n_out))
    return args, n_out


def _both(args, n_out, n_threads):
    ours, twin = (np.full((args[0].shape[0], n_out), np.nan) for _ in range(2))
    _svm_predict.decision_values(*args, ours, n_threads)
    ref.decision_values(*args, twin, n_threads)
    return ours, twin


@pytest.mark.parametrize("kernel", [ref.LINEAR, ref.POLY, ref.RBF, ref.SIGMOID])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(300, 700, 13, 4), (1, 1, 1, 2), (130, 5, 1, 3),
                                   (65, 1100, 7, 2)])
def test_equals_twin_on_1_and_2_threads(kernel, dtype, shape):
    n, m, d, k = shape
    args, n_out = _case(n, m, d, k, kernel, dtype)
    one, twin = _both(args, n_out, 1)
    # float32 dot products err by ~sqrt(d) 2^-24 |x| |z| each, summed over m terms.
    tol = 1e-9 if dtype == np.float64 else 2e-4 * np.sqrt(m)
    np.testing.assert_allclose(one, twin, rtol=tol, atol=tol)
    two, _ = _both(args, n_out, 2)
    np.testing.assert_array_equal(one, two)


def test_empty_class_group_and_no_rows():
    args, n_out = _case(40, 60, 5, 3, ref.RBF, np.float64)
    group_ptr = np.array([0, 0, 30, 60], dtype=np.intc)   # class 0 has no vectors
    args = args[:8] + (group_ptr,) + args[9:]
    ours, twin = _both(args, n_out, 2)
    np.testing.assert_allclose(ours, twin, rtol=1e-10, atol=1e-10)
    X0 = args[0][:0]
    out = np.empty((0, n_out))
    _svm_predict.decision_values(X0, *args[1:], out, 2)


def test_inconsistent_shapes_raise():
    args, n_out = _case(10, 20, 4, 2, ref.RBF, np.float64)
    with pytest.raises(ValueError, match="inconsistent"):
        _svm_predict.decision_values(*args, np.empty((9, n_out)), 1)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _svm_predict.decision_values(args[0], np.ascontiguousarray(args[1][:, :3]), *args[2:],
                                     np.empty((10, n_out)), 1)


def test_svc_decision_equals_the_kernel_matrix_route():
    """The estimator's fused path equals K(X, SV) reduced by libsvm's pairs."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    for kernel in ("rbf", "poly", "linear"):
        clf = SVC(kernel=kernel, decision_function_shape="ovo").fit(X[:900], y[:900])
        K = ref.kernel_matrix(X[900:], clf.support_vectors_, (X[900:] ** 2).sum(1),
                              (clf.support_vectors_ ** 2).sum(1), CODES[kernel],
                              clf._gamma, 0.0, 3)
        want = ovo_decision(K, clf._dual_coef_, clf._intercept_, clf._n_support)
        np.testing.assert_allclose(clf.decision_function(X[900:]), want, rtol=1e-9,
                                   atol=1e-9)

