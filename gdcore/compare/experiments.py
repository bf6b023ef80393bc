"""The experiments of ``gdcore compare``: learning curves with missing data, and speed.

One task is one model on one split: it fits the model at every training
size (the learning curve), scores each fit (``metrics``), then removes test
values at random from the test rows and scores the largest fit again (the
missing-data curve).  Tasks run in parallel across processes (joblib); each
draws its randomness from (seed, split) only, so the numbers do not depend
on the order the tasks finish in.  A fit that raises is recorded as failed
for that split, with its reason, and the run goes on.
"""

import time
import warnings

import numpy as np

TEST_FRACTION = 0.3
MISSING_FRACTIONS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
MIN_PER_CLASS = 3  # a 2-component mixture per class needs a few rows of each class


def make_splits(y, n_splits, seed):
    """Stratified (train_pool, test) index pairs, 70/30, each pool shuffled within class."""
    rng = np.random.RandomState(seed)
    classes = np.unique(y)
    splits = []
    for _ in range(n_splits):
        train, test = [], []
        for c in classes:
            idx = rng.permutation(np.flatnonzero(y == c))
            n_test = max(1, int(round(TEST_FRACTION * idx.size)))
            test.append(idx[:n_test])
            train.append(idx[n_test:])
        splits.append((train, np.sort(np.concatenate(test))))
    return splits


def training_sizes(y, n_sizes):
    """Geometrically spaced sizes from a few rows per class up to the whole pool."""
    classes, counts = np.unique(y, return_counts=True)
    pool = int(sum(c - max(1, int(round(TEST_FRACTION * c))) for c in counts))
    smallest = min(pool, MIN_PER_CLASS * len(classes) + len(classes))
    sizes = np.unique(np.geomspace(smallest, pool, n_sizes).round().astype(int))
    return [int(s) for s in sizes]


def take(train_by_class, size):
    """Take the first rows of each class's shuffled pool, in proportion, at least MIN_PER_CLASS."""
    total = sum(len(t) for t in train_by_class)
    picked = []
    for t in train_by_class:
        n = max(min(MIN_PER_CLASS, len(t)), int(round(size * len(t) / total)))
        picked.append(t[:n])
    return np.concatenate(picked)


def fit(contender, seed, X, y, layout):
    """Fit a fresh pipeline of ``contender``, silencing convergence chatter at tiny sizes."""
    model = contender.pipeline(seed, layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def remove_at_random(X, fraction, rng):
    """Return a copy of X with each value removed (NaN) with probability ``fraction`` (MCAR)."""
    X = X.copy()
    X[rng.random_sample(X.shape) < fraction] = np.nan
    return X


def missing_mask_rng(seed, split_index):
    """Return the generator of one split's removed test values, shared by every model."""
    return np.random.RandomState([seed, split_index, 1])


def _reason(exc):
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def split_task(contender, X, y, split, s, sizes, seed, layout, n_classes):
    """Learning curve and missing-data curve of one model on split ``s``.

    Returns {"scores": [{metric: value} per size], "missing": [accuracy per
    fraction], "calibration": counts at the largest size, "failures": [...]}.
    """
    from gdcore.compare import metrics

    train_by_class, test = split
    scores, failures, model, calibration = [], [], None, None
    for size in sizes:
        rows = take(train_by_class, size)
        try:
            model = fit(contender, seed + s, X[rows], y[rows], layout)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                score = metrics.evaluate(model, X[test], y[test], n_classes)
        except Exception as exc:  # a model that cannot run here fails this split only
            model = None
            failures.append({"model": contender.name, "split": s, "size": int(len(rows)),
                             "stage": "learning curve", "reason": _reason(exc)})
            score = {m: np.nan for m in metrics.METRICS}
        calibration = score.pop("calibration", None)
        scores.append(score)
    missing = [np.nan] * len(MISSING_FRACTIONS)
    if model is not None:
        rng = missing_mask_rng(seed, s)
        for f, frac in enumerate(MISSING_FRACTIONS):
            X_test = remove_at_random(X[test], frac, rng)
            try:
                missing[f] = float(np.mean(np.asarray(model.predict(X_test)) == y[test]))
            except Exception as exc:
                failures.append({"model": contender.name, "split": s, "size": int(sizes[-1]),
                                 "stage": f"missing data {frac:.0%}", "reason": _reason(exc)})
    return {"scores": scores, "missing": missing, "calibration": calibration,
            "failures": failures}


def baseline_task(y, split, sizes, n_classes):
    """Score the majority-class rule scores at every size of one split."""
    from gdcore.compare import metrics

    train_by_class, test = split
    out = []
    for size in sizes:
        score = metrics.baseline(y[take(train_by_class, size)], y[test], n_classes)
        score.pop("calibration", None)
        out.append(score)
    return out


def speed(contenders, X, y, split, seed, layout, repeat=3):
    """{name: (fit seconds, predict seconds)}: medians on the full training pool.

    Runs first, on one split, so that its timings also give the run's
    up-front time estimate.  A model that fails here gets (nan, nan).
    """
    train_by_class, test = split
    rows = np.concatenate(train_by_class)
    out = {}
    for c in contenders:
        fits, preds = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            try:
                model = fit(c, seed, X[rows], y[rows], layout)
                t1 = time.perf_counter()
                model.predict(X[test])
            except Exception:
                fits, preds = [np.nan], [np.nan]
                break
            t2 = time.perf_counter()
            fits.append(t1 - t0)
            preds.append(t2 - t1)
            if t2 - t0 > 2.0:  # a slow model: one timing is enough for the estimate
                break
        out[c.name] = (float(np.median(fits)), float(np.median(preds)))
    return out


def task_cost(timing, sizes):
    """Estimated seconds of one split_task from the model's full-pool timings.

    Fit time is taken as linear in the training size (rough: an SVC is worse,
    a tree better), plus one prediction per size and per missing fraction.
    """
    fit_s, pred_s = timing
    if not np.isfinite(fit_s):
        return 0.0
    return fit_s * sum(sizes) / sizes[-1] + pred_s * (len(sizes) + len(MISSING_FRACTIONS))
