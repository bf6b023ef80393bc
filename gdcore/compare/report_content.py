"""What the report says, once, as sections of blocks; report_md and report_html render it.

A block is ("p", text), ("list", [text]), ("table", header, rows) or
("figure", key, caption).  Keeping the words here means the Markdown and
the HTML page can never disagree.
"""

import numpy as np

from gdcore.compare.analysis import TOLERANCE

SECTIONS = ["summary", "data", "learning-curves", "scores", "calibration", "missing-data",
            "generative", "speed", "models", "failures", "reproducibility"]


def _f(x, digits=3):
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _g(x):
    return "missing" if x is None or not np.isfinite(x) else f"{x:.4g}"


def _ci(s, k=-1, digits=3):
    """'mean ± sd [low, high]' of a summary entry at size index k."""
    mean, sd, lo, hi = (s[key][k] for key in ("mean", "sd", "low", "high"))
    if mean is None or not np.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f} ± {_f(sd, digits)} [{_f(lo, digits)}, {_f(hi, digits)}]"


def sections(results, timings, figures):
    """[(id, title, [block, ...])] of the whole report."""
    out = [
        ("summary", f"Generative vs discriminative on {results['dataset']}", _summary(results)),
        ("data", "Data", _data(results)),
        ("learning-curves", "Learning curves", _curves(results, figures)),
        ("scores", "Log-loss, Brier score and ROC AUC", _scores(results, figures)),
        ("calibration", "Calibration", _calibration(results, figures)),
        ("missing-data", "Missing data", _missing(results, figures)),
        ("generative", "Generative models: likelihood and samples", _generative(results)),
        ("speed", "Speed", _speed(results, timings, figures)),
        ("models", "Models and hyperparameters", _models(results)),
        ("failures", "Failures", _failures(results)),
        ("reproducibility", "Reproducibility", _repro(results)),
    ]
    return out


def _summary(r):
    blocks = [("p", f"{r['n_samples']} rows, {r['n_features']} features, {r['n_classes']} "
                    f"classes; {r['n_splits']} stratified random 70/30 splits "
                    f"({r['n_test']} test rows each), training sizes {r['sizes'][0]} to "
                    f"{r['sizes'][-1]}, seed {r['seed']}. Every number is a mean over the "
                    "splits with its standard deviation (±) and 95% interval [low, high] "
                    "(Nadeau and Bengio's corrected resampled t: the splits share rows).")]
    m = r["models"]
    nb, lr = m.get("Gaussian NB"), m.get("Logistic regression")
    if nb and lr:
        lo_nb, hi_nb = nb["asymptotic_error_interval"]
        lo_lr, hi_lr = lr["asymptotic_error_interval"]
        claims = [
            f"Asymptotic error (at {r['sizes'][-1]} rows): logistic regression "
            f"{_f(lr['asymptotic_error'])} [{_f(lo_lr)}, {_f(hi_lr)}], Gaussian naive Bayes "
            f"{_f(nb['asymptotic_error'])} [{_f(lo_nb)}, {_f(hi_nb)}]"
            + (": the discriminative model's is lower (Ng and Jordan's first claim)."
               if lr["asymptotic_error"] < nb["asymptotic_error"] else
               ": here the discriminative model's is not lower."),
            f"Rows to get within {TOLERANCE} of its own asymptotic error: Gaussian NB "
            f"{nb['size_within_tolerance']}, logistic regression "
            f"{lr['size_within_tolerance']}"
            + (": the generative model gets there sooner (the second claim)."
               if (nb["size_within_tolerance"] or 0) < (lr["size_within_tolerance"] or 0)
               else ": here the generative model is not faster."),
        ]
        blocks.append(("list", claims))
    if r.get("warnings"):
        blocks += [("p", "Warnings:"), ("list", r["warnings"])]
    if r.get("failures"):
        blocks.append(("p", f"{len(r['failures'])} fits failed and are left out of the "
                            "means (see Failures); the run went on."))
    return blocks


def _data(r):
    total = sum(r["class_counts"])
    rows = [[name, str(n), f"{n / total:.1%}"]
            for name, n in zip(r["class_names"], r["class_counts"])]
    blocks = [("p", f"Features: {', '.join(map(str, r['feature_names']))}."),
              ("p", "Categorical: " + (", ".join(r["categorical_features"]) or "none") + "."),
              ("p", "Class balance (a majority-class rule gets the largest share right):"),
              ("table", ["class", "rows", "share"], rows)]
    if r["notes"]:
        blocks += [("p", "What the reader did with the file:"), ("list", r["notes"])]
    return blocks


def _figure(figures, key, caption):
    return [("figure", figures[key], caption)] if key in figures else []


def _everyone(r):
    return list(r["models"].items()) + [("Majority class", r["baseline"])]


def _curves(r, figures):
    blocks = _figure(figures, "learning_curves", "learning curves")
    rows = []
    for name, m in _everyone(r):
        lo, hi = m["asymptotic_error_interval"]
        within = m["size_within_tolerance"]
        rows.append([name, m["family"], f"{_f(m['asymptotic_error'], 4)} [{_f(lo, 4)}, "
                     f"{_f(hi, 4)}]", "n/a" if within is None else str(within),
                     str(m.get("failed_fits", 0))])
    blocks += [
        ("table", ["model", "family", "asymptotic error [95%]",
                   f"size within {TOLERANCE} of it", "failed fits"], rows),
        ("p", f"Asymptotic error: mean test error at the largest training size "
              f"({r['sizes'][-1]} rows). Size within {TOLERANCE}: the smallest training "
              "size whose mean error is within 0.01 of the model's own asymptotic error."),
    ]
    if r["crossings"]:
        items = [f"{c['generative']} and {c['discriminative']}, between "
                 f"{c['between_sizes'][0]} and {c['between_sizes'][1]} rows: "
                 f"{c['better_before']} is better before, {c['better_after']} after."
                 for c in r["crossings"]]
        blocks += [("p", "Where a generative and a discriminative curve cross, with the "
                         "95% intervals of their paired difference separated on both "
                         "sides:"), ("list", items)]
    else:
        blocks.append(("p", "No generative and discriminative curves cross with separated "
                            "95% intervals (their paired difference never changes sign "
                            "while excluding zero)."))
    return blocks


def _scores(r, figures):
    blocks = _figure(figures, "scores", "log-loss, Brier score and ROC AUC")
    keys = ["accuracy", "log_loss", "brier"] + (["roc_auc"] if r["n_classes"] == 2 else [])
    header = ["model", "family"] + [k.replace("_", " ") for k in keys]
    rows = [[name, m["family"]] + [_ci(m[k]) for k in keys] for name, m in _everyone(r)]
    blocks += [
        ("p", f"At {r['sizes'][-1]} training rows, mean ± sd [95% interval] over splits. "
              "Log-loss and Brier score judge the probabilities (lower is better); a "
              "model without probabilities (SVC without Platt scaling) has none, and "
              "its ROC AUC comes from its decision function."),
        ("table", header, rows),
    ]
    return blocks


def _calibration(r, figures):
    return _figure(figures, "calibration", "calibration") + [(
        "p", "Predicted probability against how often it came true, pooled over the test "
             f"rows of every split at {r['sizes'][-1]} training rows. Naive Bayes counts "
             "correlated features as independent evidence and is pushed towards 0 and 1; "
             "logistic regression fits the probabilities themselves.")]


def _missing(r, figures):
    fr = r["missing_fractions"]
    cope = r["how_each_family_copes"]
    blocks = _figure(figures, "missing_data", "missing data") + [
        ("p", f"Each model is fitted on the full training pool of each of the "
              f"{r['n_splits']} splits (the same splits as the learning curves); then each "
              "test value is removed independently with the given probability (missing "
              "completely at random), the same values for every model."),
        ("list", [f"Generative: {cope['generative']}.",
                  f"Discriminative: {cope['discriminative']}."]),
    ]
    rows = [[name] + [_ci(m["missing"], k) for k in range(len(fr))]
            for name, m in r["models"].items()]
    blocks.append(("table", ["model"] + [f"{f:.0%} removed" for f in fr], rows))
    return blocks


def _generative(r):
    gen = r.get("generative") or {}
    if not gen:
        return [("p", "No generative model was run.")]
    blocks = [("p", "Fitted on the first split's training pool. Held-out log-likelihood: "
                    "mean log p(x) of the test rows (numeric columns standardized), for "
                    "the Bayes classifiers. Two-sample test: a random forest tries to tell "
                    "held-out real rows (with their class) from as many generated ones; "
                    "accuracy and AUC 0.5 mean it cannot, 1.0 that every generated row "
                    "gives itself away.")]
    rows = []
    for name, g in gen.items():
        if "failed" in g:
            rows.append([name, "failed", g["failed"], "", "", ""])
            continue
        t = g.get("two_sample", {})
        rows.append([name, g["kind"], _f(g.get("heldout_loglik")), _f(t.get("accuracy")),
                     _f(t.get("auc")), g["hyperparameters"]])
    blocks.append(("table", ["model", "kind", "held-out log-likelihood per row",
                             "two-sample accuracy", "two-sample AUC", "settings"], rows))
    left = [g["two_sample"]["real_rows_left_out"] for g in gen.values()
            if "two_sample" in g]
    if left and left[0]:
        blocks.append(("p", f"{left[0]} test rows with a missing value are left out of "
                            "the two-sample test (the forest needs complete rows)."))
    names = r["feature_names"][:6]
    real = r["real_rows"]
    for name, g in gen.items():
        if "sampled_rows" not in g:
            continue
        rows = [["real", str(r["class_names"][lab])] + [_g(v) for v in row[:6]]
                for row, lab in zip(real["rows"], real["labels"])]
        rows += [["generated", str(r["class_names"][lab])] + [_g(v) for v in row[:6]]
                 for row, lab in zip(g["sampled_rows"], g["sampled_labels"])]
        blocks += [("p", f"Rows generated by {name} beside real ones (first "
                         f"{len(names)} features; categories as codes):"),
                   ("table", ["source", "class"] + list(map(str, names)), rows)]
    return blocks


def _speed(r, timings, figures):
    rows = [[n, _f(timings["models"][n]["fit_seconds"], 4),
             _f(timings["models"][n]["predict_seconds"], 4)]
            for n in r["models"] if n in timings["models"]]
    return _figure(figures, "speed", "speed") + [
        ("table", ["model", "fit s", "predict s"], rows),
        ("p", f"Medians of up to 3 runs on the full training pool of the first split, "
              f"preprocessing included; the whole run took "
              f"{timings.get('elapsed_seconds', float('nan')):.0f} s. Timings vary from "
              "run to run (they are in timings.json); everything else does not."),
    ]


def _models(r):
    rows = [[n, r["models"][n]["family"], h] for n, h in r["hyperparameters"].items()]
    rows.append(["Majority class", "baseline",
                 "predicts the training split's most frequent class, with the training "
                 "class frequencies as probabilities"])
    return [("p", "Parameters that differ from the estimator's defaults (the seed of "
                  "split s is seed + s):"),
            ("table", ["model", "family", "estimator"], rows)]


def _failures(r):
    if not r.get("failures"):
        return [("p", "Every fit ran.")]
    groups = {}
    for f in r["failures"]:
        key = (f["model"], f["stage"], f["reason"])
        groups.setdefault(key, []).append(f"{f['split'] + 1}@{f['size']}")
    rows = [[m, st, str(len(where)), ", ".join(where[:8]) + (" ..." if len(where) > 8 else ""),
             reason] for (m, st, reason), where in groups.items()]
    return [("p", "A fit that raised is left out of its model's means for that split and "
                  "size; the run went on. Where: split@training size."),
            ("table", ["model", "stage", "fits", "where", "reason"], rows)]


def _repro(r):
    env = r["environment"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    return [("list", [
        f"Command: `{env['command']}`",
        f"Seed: {r['seed']} (same seed, same results.json).",
        f"Parallelism: {env['workers']} worker process(es) across splits on "
        f"{env['cores']} cores, {env['threads_per_worker']} OpenMP/BLAS thread(s) each.",
        f"Versions: {versions}.",
    ])]
