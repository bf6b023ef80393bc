"""Writing the comparison out: PNG plots, report.md, results.json."""

import json
import os

import numpy as np

# Families told apart by colour: blues and greens generative, reds and oranges
# discriminative.
GENERATIVE_COLOURS = ["#1f4e9c", "#3b8bc2", "#2a9d6f", "#6cc2a0"]
DISCRIMINATIVE_COLOURS = ["#c0392b", "#e67e22", "#d35480", "#a0522d", "#f1a340"]


def colours(families):
    """Map each model name to its colour, by family (see the palettes above)."""
    gen, dis = iter(GENERATIVE_COLOURS), iter(DISCRIMINATIVE_COLOURS)
    return {n: next(gen) if f == "generative" else next(dis) for n, f in families.items()}


def write_json(results, out_dir):
    """Write ``results`` to results.json in ``out_dir``; return its path."""
    path = os.path.join(out_dir, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    return path


def plot_all(results, out_dir):
    """Draw the three figures; return their file names (none without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    models = results["models"]
    colour = colours({n: m["family"] for n, m in models.items()})
    files = []

    fig, ax = plt.subplots(figsize=(7, 4.5))
    sizes = results["sizes"]
    for name, m in models.items():
        mean, std = np.array(m["mean_error"]), np.array(m["std_error"])
        style = "-" if m["family"] == "generative" else "--"
        ax.plot(sizes, mean, style, marker="o", ms=3, color=colour[name],
                label=f"{name} ({m['family']})")
        ax.fill_between(sizes, mean - std, mean + std, color=colour[name], alpha=0.12)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(s) for s in sizes], fontsize=7)
    ax.minorticks_off()
    ax.set_xlabel("training-set size")
    ax.set_ylabel("test error")
    ax.set_title(f"Learning curves on {results['dataset']} "
                 f"({results['n_splits']} random splits, mean ± sd)")
    ax.legend(fontsize=8)
    files.append(_save(fig, out_dir, "learning_curves.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, m in models.items():
        style = "-" if m["family"] == "generative" else "--"
        ax.plot(np.array(results["missing_fractions"]) * 100, m["missing_accuracy"], style,
                marker="o", ms=3, color=colour[name], label=name)
    ax.set_xlabel("% of test feature values removed")
    ax.set_ylabel("test accuracy")
    ax.set_title("Missing data: generative models marginalize, discriminative impute means")
    ax.legend(fontsize=8)
    files.append(_save(fig, out_dir, "missing_data.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    names = list(models)
    y = np.arange(len(names))
    ax.barh(y - 0.2, [models[n]["fit_seconds"] for n in names], 0.4, label="fit",
            color=[colour[n] for n in names])
    ax.barh(y + 0.2, [models[n]["predict_seconds"] for n in names], 0.4, label="predict",
            color=[colour[n] for n in names], alpha=0.5)
    ax.set_yticks(y, names)
    ax.set_xscale("log")
    ax.set_xlabel("seconds (median of 3, full training pool)")
    ax.set_title(f"Fit and predict time on {results['dataset']}")
    ax.legend(fontsize=8)
    files.append(_save(fig, out_dir, "speed.png"))
    return files


def _save(fig, out_dir, name):
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name


def write_markdown(results, figures, out_dir):
    """Write report.md (tables, ``figures``, sampled rows) to ``out_dir``; return its path."""
    models = results["models"]
    lines = [
        f"# Generative vs discriminative on {results['dataset']}",
        "",
        f"{results['n_samples']} rows, {results['n_features']} features, "
        f"{results['n_classes']} classes; {results['n_splits']} stratified random "
        f"70/30 splits, seed {results['seed']}. Features standardized on each training set.",
        "",
        "## Learning curves",
        "",
    ]
    if "learning_curves.png" in figures:
        lines += ["![learning curves](learning_curves.png)", ""]
    lines += [
        "| model | family | asymptotic error | size within 0.01 of it | fit s | predict s |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in models.items():
        lines.append(
            f"| {name} | {m['family']} | {m['asymptotic_error']:.4f} | "
            f"{m['size_within_tolerance']} | {m['fit_seconds']:.4f} | "
            f"{m['predict_seconds']:.4f} |"
        )
    lines += ["", "Asymptotic error: mean test error at the largest training size "
              f"({results['sizes'][-1]} rows)."]
    if results["crossings"]:
        lines += ["", "Where the curves cross:", ""]
        for c in results["crossings"]:
            lo, hi = c["between_sizes"]
            lines.append(f"- {c['generative']} and {c['discriminative']}, between {lo} and "
                         f"{hi} rows: {c['better_before']} is better before, "
                         f"{c['better_after']} after.")
    else:
        lines += ["", "No generative and discriminative curves cross."]
    lines += ["", "## Missing data", ""]
    if "missing_data.png" in figures:
        lines += ["![missing data](missing_data.png)", ""]
    header = " | ".join(f"{f:.0%}" for f in results["missing_fractions"])
    lines += [f"| model | {header} |", "|---|" + "---|" * len(results["missing_fractions"])]
    for name, m in models.items():
        cells = " | ".join(f"{a:.3f}" for a in m["missing_accuracy"])
        lines.append(f"| {name} | {cells} |")
    lines += ["", "## Speed", ""]
    if "speed.png" in figures:
        lines += ["![speed](speed.png)", ""]
    lines += ["Timings vary from run to run; the accuracies above do not (fixed seed).", ""]
    gen = results["generative"]
    if gen:
        lines += ["## Generative models", "",
                  "| model | held-out log-likelihood per row (standardized features) |",
                  "|---|---|"]
        lines += [f"| {n} | {g['heldout_loglik']:.3f} |" for n, g in gen.items()]
        lines += _sample_tables(results)
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def _sample_tables(results, n_cols=6):
    d = min(n_cols, results["n_features"])
    lines = []
    real = results["real_rows"]
    for name, g in results["generative"].items():
        lines += ["", f"Rows generated by {name} beside real ones (first {d} features):", "",
                  "| source | class | " + " | ".join(f"x{j}" for j in range(d)) + " |",
                  "|---|---|" + "---|" * d]
        for row, label in zip(real["rows"], real["labels"]):
            lines.append(f"| real | {label} | " + " | ".join(f"{v:.3g}" for v in row[:d]) + " |")
        for row, label in zip(g["sampled_rows"], g["sampled_labels"]):
            lines.append(f"| generated | {label} | "
                         + " | ".join(f"{v:.3g}" for v in row[:d]) + " |")
    return lines
