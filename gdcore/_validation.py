"""Input checks shared by every estimator, on top of scikit-learn's.

The rule everywhere: bad input gets a ValueError that says what to do, before
any kernel runs.  Kernels receive only C-contiguous float32/float64 arrays.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import (
    check_classification_targets as sklearn_check_classification_targets,
)
from sklearn.utils.validation import validate_data

from gdcore._sklearn_compat import _check_sample_weight

FLOAT_DTYPES = (np.float64, np.float32)


def _finite_policy(X, allow_nan, kernel_checks_finite):
    """scikit-learn's ``ensure_all_finite`` for our two switches.

    ``kernel_checks_finite=True`` means the kernel checks finiteness in its own
    pass over the data (one memory pass instead of two); sparse input has no
    such kernel, so its stored values are still checked here.
    """
    if kernel_checks_finite and not sp.issparse(X):
        return False
    return "allow-nan" if allow_nan else True


def refuse_dates(X):
    """Raise a TypeError for datetime64 or timedelta64 X (an array or a DataFrame's columns).

    NumPy casts dates to their integer count silently, so a model would fit
    days since 1970 as a feature value; most scikit-learn estimators fail on
    them too (a TypeError from their arithmetic), and those that fit them
    (HistGradientBoosting) fit that silent cast.  Saying so, with the remedy,
    is clearer.  A pandas extension dtype (Int64, boolean, category) has no
    NumPy kind and is not a date.
    """
    dtypes = getattr(X, "dtypes", None)
    kinds = ([np.dtype(d).kind if isinstance(d, np.dtype) else "" for d in dtypes]
             if dtypes is not None and not isinstance(dtypes, np.dtype)
             else [np.asarray(X).dtype.kind] if not sp.issparse(X) else [])
    if any(k in ("m", "M") for k in kinds):  # "" (an extension dtype) is not a date
        raise TypeError("X holds dates or time spans (datetime64/timedelta64), which are not "
                        "feature values: convert them to numbers first (for example days "
                        "since a reference date, or day of week and month).")


def refuse_large_values(X, limit, consequence, prefix=""):
    """Raise a ValueError naming the column if a value of dense X exceeds ``limit`` in size.

    ``consequence`` says what would overflow beyond ``limit`` ("whose
    distances overflow float64"); ``prefix`` starts the message where a
    caller must keep scikit-learn's wording.  One min/max pass; the column
    is looked for only when there is one to name.
    """
    if X.size == 0 or max(float(X.max()), -float(X.min())) <= limit:
        return
    col = int(np.argmax(np.abs(X).max(axis=0)))
    raise ValueError(
        f"{prefix}X holds values as large as {float(np.abs(X[:, col]).max()):.3g} in column "
        f"{col}, {consequence} (values up to {limit:.3g} are served): rescale X, for example "
        f"with sklearn.preprocessing.StandardScaler.")


def check_X(estimator, X, *, reset, allow_nan=False, accept_sparse=False,
            dtype=FLOAT_DTYPES, kernel_checks_finite=False):
    """Validate X for an estimator: 2-D, non-empty, the right number of features.

    NaN is rejected unless ``allow_nan`` (NaN = missing); inf always is, here
    or, with ``kernel_checks_finite``, by the kernel itself.  Returns a
    C-contiguous float32 or float64 array (float32 stays float32; integers and
    others become float64), or a CSR matrix if ``accept_sparse``.
    """
    refuse_dates(X)
    return validate_data(
        estimator,
        X,
        reset=reset,
        accept_sparse="csr" if accept_sparse else False,
        dtype=dtype,
        order="C",
        ensure_all_finite=_finite_policy(X, allow_nan, kernel_checks_finite),
    )


def check_X_y(estimator, X, y, *, reset, allow_nan=False, accept_sparse=False,
              dtype=FLOAT_DTYPES, y_numeric=False, kernel_checks_finite=False):
    """Validate a training pair; y is 1-D with as many rows as X (see check_X)."""
    refuse_dates(X)
    return validate_data(
        estimator,
        X,
        y,
        reset=reset,
        accept_sparse="csr" if accept_sparse else False,
        dtype=dtype,
        order="C",
        ensure_all_finite=_finite_policy(X, allow_nan, kernel_checks_finite),
        y_numeric=y_numeric,
    )


def check_classification_targets(y):
    """Check that y holds class labels, as scikit-learn does, cheaply where the dtype settles it.

    A 1-D array of booleans, integers or strings is always 'binary' or
    'multiclass', so scikit-learn's type_of_target, a visible share of a small
    fit (digits' SVC fit in `gdcore bench svm`), is skipped for it.  Floats
    and objects go through scikit-learn.
    """
    if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "biuUS"):
        sklearn_check_classification_targets(y)


def check_sample_weight(sample_weight, X, dtype=np.float64):
    """Non-negative, finite, one weight per row; None becomes ones."""
    sw = _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=True)
    return np.ascontiguousarray(sw)


def check_n_samples(n_samples, name="n_samples"):
    """Check a count of rows to draw, a positive integer; return it as an int."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"{name} must be a positive integer, got {n_samples}.")
    return int(n_samples)


def raise_for_status(status, messages):
    """Turn a kernel's nonzero status code into the ValueError it stands for."""
    if status != 0:
        raise ValueError(messages.get(status, f"kernel failed with status {status}"))
