"""``gdcore compare``: the generative and discriminative families side by side.

Runs the experiment of Ng and Jordan (NIPS 2002), "On discriminative vs.
generative classifiers", on a dataset: learning curves of every applicable
gdcore classifier, then accuracy under missing test values, speed, and the
generative models' held-out likelihood and samples.  Writes PNG plots,
report.md and results.json to an output folder.
"""

import os
import sys

import numpy as np

from gdcore.compare import analysis, contenders, data, experiments, report


class Progress:
    """A one-line progress bar on stderr (a line per 10% when not a terminal)."""

    def __init__(self, total, stream=None, enabled=True):
        self.total, self.done, self.enabled = max(total, 1), 0, enabled
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1

    def __call__(self, what):
        """Count one finished step, ``what``, and redraw the bar."""
        self.done += 1
        if not self.enabled:
            return
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        line = f"[{bar}] {frac:4.0%} {what}"
        if self.tty:
            self.stream.write("\r" + line[:100].ljust(100))
            if self.done >= self.total:
                self.stream.write("\n")
        elif int(frac * 10) != self._last_decile:
            self._last_decile = int(frac * 10)
            self.stream.write(line + "\n")
        self.stream.flush()


def run(dataset="breast_cancer", target=None, out_dir="gdcore-report", seed=0,
        n_splits=20, n_sizes=10, models=None, progress=True, plots=True):
    """Run every experiment, write the report, and return the results dict."""
    X, y, name = data.load(dataset, target)
    if len(np.unique(y)) < 2:
        raise ValueError(f"{name} has a single class: there is nothing to classify.")
    chosen = contenders.available(models)
    splits = experiments.make_splits(y, n_splits, seed)
    sizes = experiments.training_sizes(y, n_sizes)
    n_missing_splits = min(n_splits, 5)
    tick = Progress(
        len(chosen) * (n_splits * len(sizes)
                       + n_missing_splits * len(experiments.MISSING_FRACTIONS) + 1),
        enabled=progress,
    )
    curves = experiments.learning_curves(chosen, X, y, splits, sizes, seed, tick)
    missing = experiments.missing_data(chosen, X, y, splits[:n_missing_splits], seed, tick)
    timing = experiments.speed(chosen, X, y, splits[0], seed, tick)
    generative = experiments.generative_quality(chosen, X, y, splits[0], seed)

    families = {c.name: c.family for c in chosen}
    summary = analysis.summarize(curves, sizes, families)
    for c in chosen:
        summary[c.name]["accuracy_per_split"] = curves[c.name].tolist()
        summary[c.name]["missing_accuracy"] = missing[c.name].mean(axis=0).tolist()
        summary[c.name]["fit_seconds"], summary[c.name]["predict_seconds"] = timing[c.name]
    train_by_class, _ = splits[0]
    real_rows = np.concatenate([t[:3] for t in train_by_class])
    results = {
        "dataset": name,
        "seed": seed,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "n_classes": int(len(np.unique(y))),
        "n_splits": n_splits,
        "sizes": sizes,
        "missing_fractions": experiments.MISSING_FRACTIONS,
        "models": summary,
        "crossings": analysis.crossings(summary, sizes),
        "generative": generative,
        "real_rows": {"rows": X[real_rows].tolist(), "labels": y[real_rows].tolist()},
    }
    os.makedirs(out_dir, exist_ok=True)
    report.write_json(results, out_dir)
    figures = report.plot_all(results, out_dir) if plots else []
    report.write_markdown(results, figures, out_dir)
    return results
