"""What the learning curves say, with intervals a reader can trust.

1. Asymptotic error: the mean test error at the largest training size.
2. How fast a model gets there: the smallest training size at which its mean
   error is within ``tolerance`` (0.01) of its own asymptotic error.
3. Crossings: between a generative and a discriminative model, where the
   better of the two changes -- reported only where the 95% intervals of
   their paired difference exclude zero on both sides of the crossing.

Intervals.  The splits are random 70/30 splits of one dataset, so their test
sets overlap and the naive t interval over splits is far too narrow.  Every
95% interval here is Nadeau & Bengio's corrected resampled t (Machine
Learning 52, 2003): mean +- t(J-1) * sd * sqrt(1/J + n_test/n_train) over J
splits.  Differences between two models are paired by split (same training
rows, same test rows), which removes the variation the splits share.
"""

import numpy as np
from scipy import stats

TOLERANCE = 0.01
SMALL_TEST_SET = 30  # below this, one test row moves the accuracy by more than 3 points


def interval(values, n_test, n_train):
    """(mean, sd, low, high, n) over splits, ignoring failed (NaN) splits; axis 0 = splits."""
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        mean = np.nanmean(values, axis=0)
        sd = np.nanstd(values, axis=0, ddof=1)
        t = stats.t.ppf(0.975, np.maximum(n - 1, 1))
        half = np.where(n > 1, t * sd * np.sqrt(1.0 / np.maximum(n, 1) + n_test / n_train),
                        np.nan)
    return mean, sd, mean - half, mean + half, n


class _quiet:
    """Silence numpy's warnings for all-NaN columns (a model that failed everywhere)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


# Where each score can lie: an interval is clipped to it (with few splits the
# t interval of an accuracy near 1 would otherwise pass 1).
BOUNDS = {"accuracy": (0.0, 1.0), "roc_auc": (0.0, 1.0), "error": (0.0, 1.0),
          "brier": (0.0, 2.0), "log_loss": (0.0, np.inf)}


def summarize(per_split, sizes, families, n_test, n_train, tolerance=TOLERANCE):
    """Per model: each metric's mean, sd, 95% interval and count of splits, per size.

    ``per_split[name][metric]`` is an (n_splits, n_sizes) array.
    """
    out = {}
    for name, metrics in per_split.items():
        m = {"family": families[name]}
        for metric, values in metrics.items():
            mean, sd, lo, hi, n = interval(values, n_test, n_train)
            lo, hi = np.clip(lo, *BOUNDS[metric]), np.clip(hi, *BOUNDS[metric])
            m[metric] = {"mean": mean.tolist(), "sd": sd.tolist(), "low": lo.tolist(),
                         "high": hi.tolist(), "n_splits": n.astype(int).tolist()}
        err = 1.0 - np.asarray(metrics["accuracy"], dtype=np.float64)
        mean, sd, lo, hi, _ = interval(err, n_test, n_train)
        lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
        m["mean_error"], m["std_error"] = mean.tolist(), sd.tolist()
        m["error_low"], m["error_high"] = lo.tolist(), hi.tolist()
        m["asymptotic_error"] = float(mean[-1])
        m["asymptotic_error_interval"] = [float(lo[-1]), float(hi[-1])]
        within = np.flatnonzero(mean <= mean[-1] + tolerance)
        m["size_within_tolerance"] = int(sizes[within[0]]) if within.size else None
        out[name] = m
    return out


def paired(a, b, n_test, n_train):
    """Mean and 95% interval of a - b, paired by split, at each size."""
    mean, _, lo, hi, _ = interval(np.asarray(a) - np.asarray(b), n_test, n_train)
    return mean, lo, hi


def crossings(error, families, sizes, n_test, n_train):
    """Where a generative and a discriminative curve cross with separated intervals.

    ``error[name]`` is the (n_splits, n_sizes) test error.  At each size the
    pair's paired difference is "generative better" (interval below 0),
    "discriminative better" (above 0) or undecided; a crossing is a change
    between the two decided states, reported with the last size of one and
    the first of the other.
    """
    gen = [n for n, f in families.items() if f == "generative"]
    dis = [n for n, f in families.items() if f == "discriminative"]
    out = []
    for g in gen:
        for d in dis:
            _, lo, hi = paired(error[g], error[d], n_test, n_train)
            state = np.where(hi < 0, -1, np.where(lo > 0, 1, 0))
            last = None
            for i, st in enumerate(state):
                if st == 0:
                    continue
                if last is not None and state[last] != st:
                    better_before = g if state[last] < 0 else d
                    out.append({
                        "generative": g, "discriminative": d,
                        "between_sizes": [int(sizes[last]), int(sizes[i])],
                        "better_before": better_before,
                        "better_after": d if better_before == g else g,
                    })
                last = i
    return out


def warnings_for(accuracy, baseline_accuracy, sizes, n_test, n_train, n_classes):
    """Plain-language warnings: models that do not beat the baseline; data too small."""
    out = []
    for name, acc in accuracy.items():
        mean, lo, _ = (v[-1] for v in paired(acc, baseline_accuracy, n_test, n_train))
        if not np.isfinite(mean):
            out.append(f"{name} failed on every split at the largest size.")
        elif not lo > 0:
            out.append(f"{name} does not beat the majority-class baseline at {sizes[-1]} "
                       f"training rows (accuracy difference {mean:+.3f}, 95% interval "
                       f"reaches {lo:+.3f}).")
    if n_test < SMALL_TEST_SET:
        out.append(f"The test sets have {n_test} rows: one row is {1 / n_test:.1%} of "
                   "accuracy, and the intervals are wide. The curves are a sketch.")
    if sizes[-1] < 10 * n_classes:
        out.append(f"The training pool ({sizes[-1]} rows, {n_classes} classes) is too small "
                   "for a learning curve to show where each model levels off.")
    elif len(sizes) < 4:
        out.append(f"{len(sizes)} training sizes are too few to see where a curve levels off.")
    return out
