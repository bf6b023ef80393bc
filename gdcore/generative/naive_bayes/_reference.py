"""NumPy twins of ``gdcore.generative.naive_bayes._naive_bayes``: the spec they are tested against.

Same signatures, same outputs, same status codes; ``n_threads`` is accepted
and ignored.  Written for clarity, never used on a hot path.
"""

import numpy as np

STATUS_OK = 0
STATUS_INF = 1
STATUS_NAN = 2
STATUS_NEGATIVE = 3
STATUS_BAD_CATEGORY = 4


def _per_class_sum(values, y, n_classes):
    """Sum of values[i] over the rows i of each class: (k, d)."""
    out = np.zeros((n_classes, values.shape[1]))
    np.add.at(out, y, values)
    return out


def gaussian_class_stats(X, y, weight, count, mean, ssd, n_threads):
    X = np.asarray(X, dtype=np.float64)
    if np.isinf(X).any():
        return STATUS_INF
    observed = ~np.isnan(X)
    w_obs = observed * np.asarray(weight)[:, None]
    X0 = np.where(observed, X, 0.0)
    k = count.shape[0]
    count[:] = _per_class_sum(w_obs, y, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(count > 0, _per_class_sum(w_obs * X0, y, k) / count, 0.0)
    mean[:] = m
    dev = np.where(observed, X - m[y], 0.0)
    ssd[:] = _per_class_sum(w_obs * dev * dev, y, k)
    return STATUS_OK


def gaussian_jll(X, mean_t, var_t, class_log_prior, jll, n_threads):
    X = np.asarray(X, dtype=np.float64)
    if np.isinf(X).any():
        return STATUS_INF
    mean, var = np.asarray(mean_t).T, np.asarray(var_t).T
    observed = ~np.isnan(X)
    for c in range(jll.shape[1]):
        terms = np.log(2 * np.pi * var[c]) + (X - mean[c]) ** 2 / var[c]
        jll[:, c] = class_log_prior[c] - 0.5 * np.where(observed, terms, 0.0).sum(axis=1)
    return STATUS_OK


def discrete_class_counts(X, y, weight, feature_count, missing_count, allow_nan,
                          require_non_negative, binarize, threshold, n_threads):
    X = np.asarray(X, dtype=np.float64)
    missing = np.isnan(X)
    if missing.any() and not allow_nan:
        return STATUS_NAN
    if np.isinf(X).any():
        return STATUS_INF
    if require_non_negative and (X[~missing] < 0).any():
        return STATUS_NEGATIVE
    if binarize:
        X = np.where(X > threshold, 1.0, 0.0)
    X = np.where(missing, 0.0, X)
    w = np.asarray(weight)[:, None]
    k = feature_count.shape[0]
    feature_count[:] = _per_class_sum(w * X, y, k)
    missing_count[:] = _per_class_sum(w * missing, y, k)
    return STATUS_OK


def linear_jll(X, weights, class_offset, missing_offset, jll, allow_nan, binarize,
               threshold, n_threads):
    X = np.asarray(X)
    missing = np.isnan(X)
    if missing.any() and not allow_nan:
        return STATUS_NAN
    if np.isinf(X).any():
        return STATUS_INF
    if binarize:
        X = np.where(X > threshold, 1, 0).astype(X.dtype)
    X = np.where(missing, 0, X).astype(X.dtype)
    out = X @ np.asarray(weights).T + np.asarray(class_offset)
    out -= missing.astype(np.float64) @ np.asarray(missing_offset).T
    jll[:] = out
    return STATUS_OK


def _codes(X, offsets):
    """Return validated integer codes (-1 where missing), or a status code."""
    X = np.asarray(X, dtype=np.float64)
    missing = np.isnan(X)
    x = np.where(missing, 0.0, X)
    if ((x < 0) & np.isfinite(x)).any():  # scikit-learn's error for negative codes first
        return None, STATUS_NEGATIVE
    if np.isinf(X).any():
        return None, STATUS_INF
    n_cat = np.diff(np.asarray(offsets))
    bad = (x != np.floor(x)) | (x >= n_cat)
    if bad.any():
        return None, STATUS_BAD_CATEGORY
    return np.where(missing, -1, x.astype(np.intp)), STATUS_OK


def categorical_class_counts(X, y, weight, offsets, category_count, n_threads):
    codes, status = _codes(X, offsets)
    if status != STATUS_OK:
        return status
    category_count[:] = 0.0
    for j in range(codes.shape[1]):
        seen = codes[:, j] >= 0
        np.add.at(category_count, (np.asarray(y)[seen], offsets[j] + codes[seen, j]),
                  np.asarray(weight)[seen])
    return STATUS_OK


def categorical_jll(X, log_prob_t, offsets, class_log_prior, jll, n_threads):
    codes, status = _codes(X, offsets)
    if status != STATUS_OK:
        return status
    log_prob_t = np.asarray(log_prob_t)
    out = np.tile(np.asarray(class_log_prior), (codes.shape[0], 1))
    for j in range(codes.shape[1]):
        seen = codes[:, j] >= 0
        out[seen] += log_prob_t[offsets[j] + codes[seen, j]]
    jll[:] = out
    return STATUS_OK
