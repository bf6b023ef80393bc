"""Naive Bayes on a Dask collection: class statistics per block, summed on the cluster.

Naive Bayes is a sum over rows, so a distributed fit is a pass or two:

- MultinomialNB, BernoulliNB, ComplementNB, CategoricalNB: one pass for the
  classes (``np.unique`` per block of y, their union), then each block is
  counted by the estimator's own ``partial_fit`` on a fresh copy (the
  compiled counting kernel, validation included); counts add, and the client
  smooths them with the estimator's own methods.
- GaussianNB, one pass: each block's per-class count, mean and sum of
  squared deviations, for the classes in that block, come from the compiled
  kernel ``gaussian_class_stats``; blocks are merged class by class (a class
  a block lacks counts as zero rows) by Chan, Golub & LeVeque's pairwise
  update (exact, no cancellation); the client then runs GaussianNB's own
  epsilon, merge and missing-feature rules on the totals.

Prediction is row-wise: each block is scored by the fitted model's own
in-memory method, giving lazy Dask arrays.
"""

import copy

import numpy as np
from sklearn.base import clone

from gdcore import _dask
from gdcore._validation import check_classification_targets, check_X_y
from gdcore.generative.naive_bayes import _naive_bayes as kernels
from gdcore.generative.naive_bayes._discrete import check_count_total


def _merge_moments(a, b):
    """Pairwise merge of per-(class, feature) (count, mean, ssd) triples."""
    n1, m1, s1 = a
    n2, m2, s2 = b
    n = n1 + n2
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = m2 - m1
        mean = np.where(n2 == 0, m1, np.where(n1 == 0, m2, m1 + delta * (n2 / n)))
        ssd = np.where((n1 == 0) | (n2 == 0), s1 + s2, s1 + s2 + delta ** 2 * (n1 * n2 / n))
    return n, mean, ssd


def _on_classes(own, classes, arrays):
    """Per-class arrays of a block's ``own`` classes, as rows of ``classes`` (zero elsewhere)."""
    if len(own) == len(classes):
        return arrays
    rows = np.searchsorted(classes, own)
    out = []
    for a in arrays:
        full = np.zeros((len(classes),) + a.shape[1:])
        full[rows] = a
        out.append(full)
    return tuple(out)


def _combine_gaussian(a, b):
    """Merge two blocks' (classes, moments, unweighted moments, class weights)."""
    classes = np.union1d(a[0], b[0])

    def spread(part):
        own, moments, unweighted, class_count = part
        moments, (class_count,) = (_on_classes(own, classes, moments),
                                   _on_classes(own, classes, (class_count,)))
        if unweighted is not None:
            unweighted = _on_classes(own, classes, unweighted)
        return moments, unweighted, class_count

    (ma, ua, ca), (mb, ub, cb) = spread(a), spread(b)
    return (classes, _merge_moments(ma, mb),
            None if ua is None else _merge_moments(ua, ub), ca + cb)


def _gaussian_block(part, y_part, w_part, estimator):
    """One block's classes and their (count, mean, ssd), unweighted ones, class weights."""
    classes = _dask.unique_labels(y_part)
    # Per block, before the kernel sizes its tables by the number of labels:
    # continuous y is refused here, as the in-memory fit refuses it.
    check_classification_targets(classes)
    est = copy.copy(estimator)
    X, y = check_X_y(est, part, y_part, reset=False, kernel_checks_finite=True)
    est.classes_ = classes
    y_idx = est._class_index(y)
    k, d = len(classes), X.shape[1]

    def stats(weights):
        count, mean, ssd = np.empty((k, d)), np.empty((k, d)), np.empty((k, d))
        est._raise_for_status(kernels.gaussian_class_stats(X, y_idx, weights, count, mean,
                                                           ssd, est._n_threads()))
        return count, mean, ssd

    weights = est._weights(None if w_part is None else np.asarray(w_part), X)
    # scikit-learn's epsilon scale is the unweighted variance, even with weights.
    unweighted = None if w_part is None else stats(np.ones(len(X)))
    return (classes, stats(weights), unweighted,
            np.bincount(y_idx, weights=weights, minlength=k))


def _count_block(part, y_part, w_part, estimator, classes):
    est = clone(estimator)
    est.partial_fit(part, y_part, classes=classes,
                    sample_weight=None if w_part is None else np.asarray(w_part))
    if hasattr(est, "category_count_"):
        return est.class_count_, list(est.category_count_)
    return est.class_count_, est.feature_count_, est.missing_count_


def _combine_counts(a, b):
    if isinstance(a[1], list):
        tables = []
        for x, y in zip(a[1], b[1]):
            width = max(x.shape[1], y.shape[1])
            tables.append(np.pad(x, ((0, 0), (0, width - x.shape[1])))
                          + np.pad(y, ((0, 0), (0, width - y.shape[1]))))
        return a[0] + b[0], tables
    return tuple(x + y for x, y in zip(a, b))


def _passes(estimator, X, y, sample_weight):
    estimator._validate_params()
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the "
                         "target y is None.")
    _dask.set_feature_metadata(estimator, X)
    X = _dask.as_row_collection(X)
    y_blocks = _dask.aligned_blocks(y, X, "y")
    w_blocks = (_dask.aligned_blocks(sample_weight, X, "sample_weight")
                or [None] * len(y_blocks))
    # One pass over X: its blocks are read where they are (persisted or not),
    # never persisted for this fit.
    return _dask.BlockPasses((X, y, sample_weight), persist=False, X=_dask.row_blocks(X),
                             y=y_blocks, w=w_blocks)


@_dask.implements("GaussianNB.fit")
def fit_gaussian(estimator, X, y=None, sample_weight=None):
    """GaussianNB.fit on a Dask collection (y, sample_weight partitioned like X)."""
    passes = _passes(estimator, X, y, sample_weight)
    classes, (count, mean, ssd), unweighted, class_count = passes.run(
        _gaussian_block, ("X", "y", "w"), _combine_gaussian, estimator)
    check_classification_targets(classes)
    est = estimator
    est.classes_ = classes
    scale = est._variance_scale(None, *(unweighted or (count, mean, ssd)), True)
    k, d = count.shape
    est.theta_, est.var_ = np.zeros((k, d)), np.zeros((k, d))
    est.class_count_, est.observed_count_ = np.zeros(k), np.zeros((k, d))
    est.epsilon_ = est.var_smoothing * scale
    est._merge_batch(count, mean, ssd, weighted=sample_weight is not None)
    est.class_count_ += class_count
    est.var_ += est.epsilon_
    est._fill_unobserved()
    est._refuse_zero_variance()
    if est.priors is not None:
        prior = est._check_class_prior(est.priors)
        if not np.isclose(prior.sum(), 1.0):
            raise ValueError("The sum of the priors should be 1.")
        est.class_prior_ = prior
    else:
        est.class_prior_ = est.class_count_ / est.class_count_.sum()
    return est


@_dask.implements("MultinomialNB.fit", "BernoulliNB.fit", "ComplementNB.fit",
                  "CategoricalNB.fit")
def fit_counts(estimator, X, y=None, sample_weight=None):
    """Fit a count model on a Dask collection: per-block counts, added."""
    passes = _passes(estimator, X, y, sample_weight)
    classes = passes.run(_dask.unique_labels, ("y",), np.union1d)
    check_classification_targets(classes)
    counts = passes.run(_count_block, ("X", "y", "w"), _combine_counts, estimator, classes)
    est = estimator
    est.classes_ = classes
    est.class_count_ = counts[0]
    if isinstance(counts[1], list):
        est.category_count_ = counts[1]
        est.n_categories_ = np.array([c.shape[1] for c in counts[1]], dtype=np.int64)
    else:
        est.feature_count_, est.missing_count_ = counts[1], counts[2]
        check_count_total(est.feature_count_, type(est).__name__)
        est._after_count()
    est._update_feature_log_prob(est._check_alpha())
    est._update_class_log_prior()
    return est


def _n_classes(estimator):
    return len(estimator.classes_)


for _method, _n_out, _dtype in (
        ("predict_joint_log_proba", _n_classes, np.float64),
        ("predict_log_proba", _n_classes, np.float64),
        ("predict_proba", _n_classes, np.float64),
        ("predict", None, lambda e: e.classes_.dtype),
        ("score_samples", None, np.float64)):
    _dask.implements(f"BaseNB.{_method}")(
        _dask.rowwise(_method, _n_out or (lambda e: None), _dtype))
