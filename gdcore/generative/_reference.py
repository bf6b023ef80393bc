"""NumPy twin of ``gdcore.generative._bayes_rule``: the specification it is tested against."""

import numpy as np


def posterior_from_joint(jll, proba, n_threads):
    jll = np.asarray(jll, dtype=np.float64)
    top = jll.max(axis=1, keepdims=True)
    undefined = ~np.isfinite(top[:, 0])
    with np.errstate(invalid="ignore"):
        p = np.exp(jll - np.where(undefined[:, None], 0.0, top))
        proba[:] = p / p.sum(axis=1, keepdims=True)
    proba[undefined] = np.nan
    return int(undefined.sum())
