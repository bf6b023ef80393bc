"""The experiments of ``gdcore compare``: learning curves, missing data, speed, samples.

Everything random comes from one seed, so two runs with the same seed give
the same accuracies (timings, of course, vary).
"""

import time
import warnings

import numpy as np

from gdcore.compare.contenders import GENERATIVE

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


def _fit(contender, seed, X, y):
    model = contender.pipeline(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter at tiny sizes
        return model.fit(X, y)


def learning_curves(contenders, X, y, splits, sizes, seed, tick):
    """{name: accuracy array of shape (n_splits, n_sizes)}."""
    out = {c.name: np.zeros((len(splits), len(sizes))) for c in contenders}
    for s, (train_by_class, test) in enumerate(splits):
        for m, size in enumerate(sizes):
            rows = take(train_by_class, size)
            for c in contenders:
                model = _fit(c, seed + s, X[rows], y[rows])
                out[c.name][s, m] = np.mean(model.predict(X[test]) == y[test])
                tick(f"learning curves: {c.name}, n={size}")
    return out


def missing_data(contenders, X, y, splits, seed, tick):
    """{name: accuracy array (n_splits, n_fractions)} with test values removed at random."""
    rng = np.random.RandomState(seed)
    out = {c.name: np.zeros((len(splits), len(MISSING_FRACTIONS))) for c in contenders}
    for s, (train_by_class, test) in enumerate(splits):
        rows = np.concatenate(train_by_class)
        models = {c.name: _fit(c, seed + s, X[rows], y[rows]) for c in contenders}
        for f, frac in enumerate(MISSING_FRACTIONS):
            X_test = X[test].copy()
            X_test[rng.random_sample(X_test.shape) < frac] = np.nan
            for c in contenders:
                out[c.name][s, f] = np.mean(models[c.name].predict(X_test) == y[test])
                tick(f"missing data: {c.name}, {frac:.0%} removed")
    return out


def speed(contenders, X, y, split, seed, tick, repeat=3):
    """{name: (fit seconds, predict seconds)}, medians on the full training pool."""
    train_by_class, test = split
    rows = np.concatenate(train_by_class)
    out = {}
    for c in contenders:
        fits, preds = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            model = _fit(c, seed, X[rows], y[rows])
            t1 = time.perf_counter()
            model.predict(X[test])
            t2 = time.perf_counter()
            fits.append(t1 - t0)
            preds.append(t2 - t1)
        out[c.name] = (float(np.median(fits)), float(np.median(preds)))
        tick(f"speed: {c.name}")
    return out


def generative_quality(contenders, X, y, split, seed, n_rows=3):
    """For each generative model: held-out mean log-likelihood and a few sampled rows.

    The log-likelihood is of the standardized features (the space the model
    was fitted in); sampled rows are mapped back to the original units.
    """
    train_by_class, test = split
    rows = np.concatenate(train_by_class)
    out = {}
    for c in contenders:
        if c.family != GENERATIVE:
            continue
        model = _fit(c, seed, X[rows], y[rows])
        scaler, estimator = model[0], model[-1]
        loglik = float(np.mean(model.score_samples(X[test])))
        labels = np.repeat(estimator.classes_, n_rows)
        sampled, labels = estimator.sample(len(labels), y=labels, random_state=seed)
        out[c.name] = {
            "heldout_loglik": loglik,
            "sampled_rows": scaler.inverse_transform(sampled).tolist(),
            "sampled_labels": labels.tolist(),
        }
    return out
