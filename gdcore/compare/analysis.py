"""What the learning curves say, computed from the data (Ng and Jordan's two claims).

1. Asymptotic error: the mean test error at the largest training size.
2. How fast a model gets there: the smallest training size at which its mean
   error is within ``tolerance`` (0.01) of its own asymptotic error.
3. Crossings: between a generative and a discriminative model, the pairs of
   consecutive sizes where the better of the two changes.
"""

import numpy as np

TOLERANCE = 0.01


def summarize(curves, sizes, families, tolerance=TOLERANCE):
    """{name: {"asymptotic_error", "size_within_tolerance", "mean_error", "std_error"}}."""
    out = {}
    for name, acc in curves.items():
        err = 1.0 - acc
        mean = err.mean(axis=0)
        asymptote = float(mean[-1])
        within = np.flatnonzero(mean <= asymptote + tolerance)
        out[name] = {
            "family": families[name],
            "asymptotic_error": asymptote,
            "size_within_tolerance": int(sizes[within[0]]),
            "mean_error": mean.tolist(),
            "std_error": err.std(axis=0).tolist(),
        }
    return out


def crossings(summary, sizes):
    """Where a generative and a discriminative curve cross, as a list of dicts."""
    gen = [n for n, s in summary.items() if s["family"] == "generative"]
    dis = [n for n, s in summary.items() if s["family"] == "discriminative"]
    out = []
    for g in gen:
        for d in dis:
            diff = np.array(summary[g]["mean_error"]) - np.array(summary[d]["mean_error"])
            for i in range(len(sizes) - 1):
                if diff[i] * diff[i + 1] < 0:
                    out.append({
                        "generative": g,
                        "discriminative": d,
                        "between_sizes": [int(sizes[i]), int(sizes[i + 1])],
                        "better_before": g if diff[i] < 0 else d,
                        "better_after": d if diff[i] < 0 else g,
                    })
    return out
