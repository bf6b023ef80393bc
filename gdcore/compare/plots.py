"""The report's figures (PNG), drawn with matplotlib when it is installed.

Seven models must be told apart at a glance, in colour and in grey: each has
its own colour from Okabe and Ito's colour-blind-safe palette and its own
marker, fixed by its place in ``contenders.ALL`` (so a model keeps its colour
when ``--models`` picks a few); the family is the line style (generative
solid, discriminative dashed) and the majority-class baseline is a dotted
grey line.  Bands and error bars are the 95% intervals of ``analysis``.
"""

import os

import numpy as np

from gdcore.compare import contenders

PALETTE = ["#0072B2", "#009E73", "#D55E00", "#E69F00", "#CC79A7", "#56B4E9", "#000000",
           "#999933", "#882255"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h"]
BASELINE = {"color": "#808080", "linestyle": ":", "marker": None}
STYLE = {"generative": "-", "discriminative": "--"}
METRIC_LABELS = {"accuracy": "accuracy", "log_loss": "log-loss", "brier": "Brier score",
                 "roc_auc": "ROC AUC"}


def style(name, family):
    """Colour, marker and line style of a model (see the module docstring)."""
    order = [c.name for c in contenders.ALL]
    i = order.index(name) if name in order else len(order)
    return {"color": PALETTE[i % len(PALETTE)], "marker": MARKERS[i % len(MARKERS)],
            "linestyle": STYLE.get(family, "-")}


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def plot_all(results, timings, out_dir):
    """Draw every figure into ``out_dir``; return {figure: file name} (empty without matplotlib)."""
    plt = _plt()
    if plt is None:
        return {}
    files = {}
    for key, draw in (("learning_curves", _learning_curves), ("scores", _scores),
                      ("calibration", _calibration), ("missing_data", _missing),
                      ("speed", _speed)):
        fig = draw(plt, results, timings)
        if fig is not None:
            files[key] = _save(plt, fig, out_dir, f"{key}.png")
    return files


def _curve(ax, sizes, summary, name, key="accuracy", as_error=False, label=None):
    s = summary[key]
    mean, lo, hi = (np.array(s[k], dtype=float) for k in ("mean", "low", "high"))
    if as_error:
        mean, lo, hi = 1 - mean, 1 - hi, 1 - lo
    st = style(name, summary["family"]) if summary["family"] != "baseline" else BASELINE
    ax.plot(sizes, mean, ms=4, label=label or name, **st)
    if summary["family"] != "baseline":
        ax.fill_between(sizes, lo, hi, color=st["color"], alpha=0.10, linewidth=0)


def _log_axis(ax, sizes):
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(s) for s in sizes], fontsize=7)
    ax.minorticks_off()
    ax.set_xlabel("training-set size")


def _everyone(results):
    return list(results["models"].items()) + [("Majority class", results["baseline"])]


def _learning_curves(plt, results, timings):
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    sizes = results["sizes"]
    for name, m in _everyone(results):
        label = f"{name} ({m['family']})"
        _curve(ax, sizes, m, name, as_error=True, label=label)
    _log_axis(ax, sizes)
    ax.set_ylabel("test error")
    ax.set_title(f"Learning curves on {results['dataset']} "
                 f"({results['n_splits']} splits, mean and 95% interval)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return fig


def _scores(plt, results, timings):
    keys = ["log_loss", "brier"] + (["roc_auc"] if results["n_classes"] == 2 else [])
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 4))
    sizes = results["sizes"]
    for ax, key in zip(axes, keys):
        for name, m in _everyone(results):
            if np.isfinite(np.array(m[key]["mean"], dtype=float)).any():
                _curve(ax, sizes, m, name, key=key)
        _log_axis(ax, sizes)
        ax.set_title(METRIC_LABELS[key] + (" (lower is better)" if key != "roc_auc"
                                           else " (higher is better)"), fontsize=9)
        if key == "log_loss":
            top = max(float(np.nanmax(np.array(results["baseline"]["log_loss"]["mean"],
                                                dtype=float))) * 2.5, 0.5)
            ax.set_ylim(0, top)  # an over-confident model's log-loss can dwarf the rest
    axes[0].legend(fontsize=6)
    fig.suptitle("Probabilistic scores (mean and 95% interval over splits)", fontsize=10)
    return fig


def _calibration(plt, results, timings):
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="#808080", linestyle=":", label="perfect calibration")
    for name, m in results["models"].items():
        count, conf, hit = (np.array(v, dtype=float) for v in m["calibration"])
        ok = count >= 5
        if not ok.any():
            continue
        ax.plot(conf[ok] / count[ok], hit[ok] / count[ok], ms=4, label=name,
                **style(name, m["family"]))
    what = ("P(class " + str(results["class_names"][1]) + ")" if results["n_classes"] == 2
            else "confidence in the predicted class")
    ax.set_xlabel(f"predicted {what}")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"Calibration at {results['sizes'][-1]} training rows "
                 "(test rows of every split; bins of 5+)", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def _missing(plt, results, timings):
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    x = np.array(results["missing_fractions"]) * 100
    n = max(len(results["models"]), 1)
    for i, (name, m) in enumerate(results["models"].items()):
        s = m["missing"]
        mean, lo, hi = (np.array(s[k], dtype=float) for k in ("mean", "low", "high"))
        offset = (i - (n - 1) / 2) * 0.35  # spread the error bars apart
        ax.errorbar(x + offset, mean, yerr=[mean - lo, hi - mean], ms=4, capsize=2,
                    label=name, **style(name, m["family"]))
    base = results["baseline"]["accuracy"]["mean"][-1]
    ax.axhline(base, label="Majority class", **{k: v for k, v in BASELINE.items()
                                                 if k != "marker"})
    ax.set_xlabel("% of test feature values removed at random")
    ax.set_ylabel("test accuracy")
    ax.set_title("Missing data: generative models marginalize, discriminative impute "
                 f"({results['n_splits']} splits, 95% intervals)", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return fig


def _speed(plt, results, timings):
    models = [n for n in results["models"] if n in timings["models"]]
    if not models:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(models) + 1.5))
    y = np.arange(len(models))
    colours = [style(n, results["models"][n]["family"])["color"] for n in models]
    ax.barh(y - 0.2, [timings["models"][n]["fit_seconds"] for n in models], 0.4,
            label="fit", color=colours)
    ax.barh(y + 0.2, [timings["models"][n]["predict_seconds"] for n in models], 0.4,
            label="predict", color=colours, alpha=0.45)
    ax.set_yticks(y, models)
    ax.set_xscale("log")
    ax.set_xlabel("seconds (median of up to 3 runs, full training pool)")
    ax.set_title(f"Fit and predict time on {results['dataset']}", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def _save(plt, fig, out_dir, name):
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    plt.close(fig)
    return name
