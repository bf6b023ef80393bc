"""``gdcore compare``: the generative and discriminative families side by side.

Runs the experiment of Ng and Jordan (NIPS 2002), "On discriminative vs.
generative classifiers", on a dataset: learning curves of every applicable
gdcore classifier (accuracy, log-loss, Brier score, ROC AUC, calibration,
each with a 95% interval over splits, beside a majority-class baseline),
accuracy as test values go missing, speed, and the generative models'
held-out likelihood and sample quality.  Writes report.html (one
self-contained page), report.md, PNG plots, results.json (the same for the
same seed) and timings.json (which vary) to an output folder.

Modules: ``data`` reads the table, ``contenders`` prepares each family's
inputs, ``experiments`` and ``metrics`` run and score the fits,
``progress`` runs them in parallel, ``analysis`` computes the intervals
and claims, ``samples`` judges generated rows, ``plots``, ``report_md``
and ``report_html`` write the report.
"""

import os
import sys
import time

import numpy as np

from gdcore.compare import analysis, contenders, data, experiments, samples
from gdcore.compare import progress as _progress
from gdcore.compare.reproducibility import environment, equivalent_command, write_json

__all__ = ["run"]


def run(dataset="breast_cancer", target=None, out_dir="gdcore-report", seed=0,
        n_splits=20, n_sizes=10, models=None, progress=True, plots=True, *,
        sep=None, features=None, drop=None, categorical=None, n_jobs=-1, command=None,
        stream=None):
    """Run every experiment, write the report, and return the results dict.

    The arguments are ``gdcore compare``'s flags (see ``command``); ``stream``
    takes the progress bar (stderr by default).
    """
    start = time.perf_counter()
    if n_splits < 2:
        raise ValueError("--splits must be at least 2: intervals need two splits.")
    table = data.load(dataset, target, sep=sep, features=features, drop=drop,
                      categorical=categorical)
    n_classes = len(table.class_names)
    if n_classes < 2:
        raise ValueError(f"{table.name} has a single class: there is nothing to classify.")
    chosen = contenders.available(models)
    cat = np.flatnonzero(table.categorical)
    layout = contenders.Layout(tuple(int(j) for j in cat),
                               tuple(table.n_categories[j] for j in cat), table.X.shape[1])
    splits = experiments.make_splits(table.y, n_splits, seed)
    sizes = experiments.training_sizes(table.y, n_sizes)
    n_test, n_train = len(splits[0][1]), sizes[-1]
    env = environment(n_jobs, command or equivalent_command(
        dataset, target, out_dir, seed, n_splits, n_sizes, models, sep, features, drop,
        categorical, n_jobs))
    os.makedirs(out_dir, exist_ok=True)
    results = _header(table, seed, n_splits, sizes, n_test, chosen, env)
    write_json(results, out_dir)  # a run that stops early still leaves what it knew

    timing = experiments.speed(chosen, table.X, table.y, splits[0], seed, layout)
    costs = [experiments.task_cost(timing[c.name], sizes) for c in chosen]
    estimate = sum(costs) * n_splits / env["workers"]
    _progress.message(stream, f"gdcore compare: {len(chosen)} models x {n_splits} splits x "
                     f"{len(sizes)} sizes on {table.X.shape[0]} rows, {env['workers']} "
                     f"worker(s); estimated ~{estimate:.0f} s (from one full-size fit "
                     "per model; --splits, --sizes, --models make it shorter)",
                     enabled=progress)
    tick = _progress.Progress(sum(costs) * n_splits, stream=stream, enabled=progress,
                              estimate=estimate)
    tasks = [(c, table.X, table.y, splits[s], s, sizes, seed, layout, n_classes)
             for s in range(n_splits) for c in chosen]
    labels = [f"{c.name}, split {s + 1}" for s in range(n_splits) for c in chosen]
    out, interrupted = _progress.run_parallel(experiments.split_task, tasks, env["workers"],
                                              tick, costs * n_splits, labels)
    _collect(results, out, chosen, table, splits, sizes, seed, n_test, n_train)
    if interrupted:  # keep what was computed: a report of the splits that finished
        results["complete"] = False
        results["warnings"].append(f"Interrupted: {len(out)} of {len(tasks)} model-split "
                                   "tasks finished; the rest are missing from the means.")
        results["generative"], results["real_rows"] = {}, samples.real_rows(table, splits[0])
        _finish(results, timing, start, out_dir, plots)
        raise KeyboardInterrupt
    write_json(results, out_dir)

    results["generative"] = samples.quality(chosen, table, splits[0], seed, layout)
    results["real_rows"] = samples.real_rows(table, splits[0])
    _finish(results, timing, start, out_dir, plots)
    return results


def _finish(results, timing, start, out_dir, plots):
    """Write results.json, timings.json and the reports."""
    write_json(results, out_dir)
    timings = {"models": {n: {"fit_seconds": t[0], "predict_seconds": t[1]}
                          for n, t in timing.items()},
               "elapsed_seconds": time.perf_counter() - start}
    write_json(timings, out_dir, "timings.json")
    _write_reports(results, timings, out_dir, plots)


def _header(table, seed, n_splits, sizes, n_test, chosen, env):
    counts = np.bincount(table.y, minlength=len(table.class_names))
    return {
        "dataset": table.name,
        "seed": seed,
        "n_samples": int(table.X.shape[0]),
        "n_features": int(table.X.shape[1]),
        "n_classes": len(table.class_names),
        "feature_names": table.feature_names,
        "categorical_features": [table.feature_names[j]
                                 for j in np.flatnonzero(table.categorical)],
        "class_names": table.class_names,
        "class_counts": counts.astype(int).tolist(),
        "notes": table.notes,
        "n_splits": n_splits,
        "n_test": n_test,
        "sizes": sizes,
        "missing_fractions": experiments.MISSING_FRACTIONS,
        "how_each_family_copes": contenders.HOW_THEY_COPE,
        "hyperparameters": {c.name: c.hyperparameters() for c in chosen},
        "environment": env,
        "complete": False,
    }


def _collect(results, out, chosen, table, splits, sizes, seed, n_test, n_train):
    """Gather the tasks' scores into per-model summaries, crossings and warnings."""
    from gdcore.compare.metrics import METRICS, N_BINS

    n_splits, n_classes = len(splits), len(table.class_names)
    names = [c.name for c in chosen]
    per_split = {n: {m: np.full((n_splits, len(sizes)), np.nan) for m in METRICS}
                 for n in names}
    missing = {n: np.full((n_splits, len(experiments.MISSING_FRACTIONS)), np.nan)
               for n in names}
    calibration = {n: np.zeros((3, N_BINS)) for n in names}
    failures = []
    for i, res in enumerate(out):
        s, name = divmod(i, len(chosen))
        name = names[name]
        for k, score in enumerate(res["scores"]):
            for m in METRICS:
                per_split[name][m][s, k] = score[m]
        missing[name][s] = res["missing"]
        if res["calibration"] is not None:
            calibration[name] += np.asarray(res["calibration"])
        failures += res["failures"]
    base = [experiments.baseline_task(table.y, sp, sizes, n_classes) for sp in splits]
    base_split = {m: np.array([[b[k][m] for k in range(len(sizes))] for b in base])
                  for m in METRICS}
    families = {c.name: c.family for c in chosen}
    summary = analysis.summarize(per_split, sizes, families, n_test, n_train)
    for n in names:
        summary[n]["accuracy_per_split"] = per_split[n]["accuracy"].tolist()
        mean, sd, lo, hi, k = analysis.interval(missing[n], n_test, n_train)
        summary[n]["missing_accuracy"] = mean.tolist()
        summary[n]["missing"] = {"mean": mean.tolist(), "sd": sd.tolist(), "low": lo.tolist(),
                                 "high": hi.tolist(), "n_splits": k.astype(int).tolist()}
        summary[n]["calibration"] = calibration[n].tolist()
        summary[n]["failed_fits"] = sum(f["model"] == n for f in failures)
    baseline = analysis.summarize({"Majority class": base_split}, sizes,
                                  {"Majority class": "baseline"}, n_test, n_train)
    errors = {n: 1.0 - per_split[n]["accuracy"] for n in names}
    results.update({
        "models": summary,
        "baseline": baseline["Majority class"],
        "crossings": analysis.crossings(errors, families, sizes, n_test, n_train),
        "warnings": analysis.warnings_for({n: per_split[n]["accuracy"] for n in names},
                                          base_split["accuracy"], sizes, n_test, n_train,
                                          n_classes),
        "failures": failures,
        "complete": True,
    })


def _write_reports(results, timings, out_dir, plots):
    from gdcore.compare import report_html, report_md

    figures = {}
    if plots:
        from gdcore.compare import plots as plotting

        figures = plotting.plot_all(results, timings, out_dir)
    report_md.write(results, timings, figures, out_dir)
    report_html.write(results, timings, figures, out_dir)


def main(argv=None):
    """``python -m gdcore.compare``: the same as ``gdcore compare``."""
    from gdcore.compare.command import main as command_main

    return command_main(sys.argv[1:] if argv is None else argv)
