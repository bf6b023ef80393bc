"""How good are the generative models' samples?  Held-out likelihood and a two-sample test.

Every generative model that can sample is fitted on split 0's training pool
and asked for as many rows as the test set holds; a random forest then tries
to tell held-out real rows from generated ones (the classifier two-sample
test of ``gdcore.generative._two_sample``, Lopez-Paz & Oquab 2017).  The
label is one of the columns, so the test judges the joint P(x, y): the
Bayes classifiers are sampled at the test rows' labels, the VAE models the
label as one more (one-hot) column, the GAN is class-conditional.

The forest needs complete rows: real test rows with a missing value are
left out of the test (the count is reported).  The VAE and GAN are fitted
on the training pool with missing values filled by the column mean (numeric)
or most frequent category; the Bayes classifiers marginalize them.

The neural models' epochs shrink with the data so that each takes about the
same number of gradient steps (~2,000 for the GAN at batch 64, ~6,500 for the
VAE at batch 32: the settings of docs/generators_two_sample.py on
breast_cancer), which keeps this section to a few seconds.
"""

import warnings

import numpy as np

from gdcore.compare.contenders import GENERATIVE
from gdcore.compare.experiments import fit


def _impute(X_train, X, categorical):
    """Fill NaN with the training column's mean (numeric) or most frequent code."""
    X = X.copy()
    for j in range(X.shape[1]):
        col = X_train[:, j][np.isfinite(X_train[:, j])]
        if categorical[j]:
            fill = np.bincount(col.astype(int)).argmax() if col.size else 0
        else:
            fill = col.mean() if col.size else 0.0
        X[np.isnan(X[:, j]), j] = fill
    return X


def _vae(X, y, categorical, n_categories, n_classes, n_out, seed, labels=None):
    """Fit a VAE on [numeric, one-hot categories, one-hot label]; decode its samples."""
    from gdcore import VAE

    blocks = [(j, n_categories[j]) for j in np.flatnonzero(categorical)]
    num = np.flatnonzero(~categorical)
    parts = [X[:, num]] + [np.eye(k)[X[:, j].astype(int)] for j, k in blocks]
    parts.append(np.eye(n_classes)[y])
    epochs = int(np.clip(round(16000 / len(X)), 20, 500))
    vae = VAE(latent_dim=4, batch_size=32, max_iter=epochs, random_state=seed, n_jobs=1)
    vae.fit(np.hstack(parts))
    Z = vae.sample(n_out, random_state=seed)
    out = np.empty((n_out, X.shape[1]))
    out[:, num] = Z[:, :len(num)]
    start = len(num)
    for j, k in blocks:
        out[:, j] = np.argmax(Z[:, start:start + k], axis=1)
        start += k
    return out, np.argmax(Z[:, start:start + n_classes], axis=1), vae


def _gan(X, y, categorical, n_categories, n_classes, n_out, seed, labels):
    """Fit a class-conditional GAN; sample it at ``labels``."""
    from gdcore import GAN

    epochs = int(np.clip(round(120000 / len(X)), 20, 300))
    gan = GAN(max_iter=epochs, batch_size=64, random_state=seed, n_jobs=1,
              categorical_features=np.flatnonzero(categorical) if categorical.any() else None)
    gan.fit(X, y)
    Xs, ys = gan.sample(n_out, y=labels, random_state=seed)
    return Xs, ys, gan


# The samplers beyond the Bayes classifiers: name -> function.  The tabular
# diffusion model joins here when it lands in gdcore.generative.
NEURAL_SAMPLERS = {"VAE": _vae, "GAN (class-conditional)": _gan}


def quality(contenders, table, split, seed, layout, n_rows=3):
    """{model: held-out log-likelihood, two-sample test, sampled rows, or failure}."""
    from gdcore.generative._two_sample import classifier_two_sample_test

    X, y, cat = table.X, table.y, table.categorical
    train_by_class, test = split
    rows = np.concatenate(train_by_class)
    n_classes = len(table.class_names)
    complete = test[np.isfinite(X[test]).all(axis=1)]
    real = np.column_stack([X[complete], y[complete]])
    out = {}

    def judge(name, generated, labels, extra):
        entry = dict(extra)
        if len(complete) >= 4:
            entry["two_sample"] = classifier_two_sample_test(
                real, np.column_stack([generated, labels]), n_estimators=100,
                random_state=seed)
            entry["two_sample"]["real_rows_left_out"] = int(len(test) - len(complete))
        labels = np.asarray(labels).astype(int)
        shown = np.concatenate([np.flatnonzero(labels == k)[:n_rows] for k in range(n_classes)])
        entry["sampled_rows"] = generated[shown].tolist()
        entry["sampled_labels"] = labels[shown].tolist()
        out[name] = entry

    for c in contenders:
        if c.family != GENERATIVE:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = fit(c, seed, X[rows], y[rows], layout)
                loglik = float(np.mean(model.score_samples(X[test])))
                gen, labels = model.sample(len(complete), y=y[complete], random_state=seed)
            judge(c.name, gen, labels, {"kind": "Bayes classifier", "heldout_loglik": loglik,
                                        "hyperparameters": c.hyperparameters()})
        except Exception as exc:
            out[c.name] = {"failed": f"{type(exc).__name__}: {exc}"}
    X_train = _impute(X[rows], X[rows], cat)
    for name, sampler in NEURAL_SAMPLERS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gen, labels, model = sampler(X_train, y[rows], cat, table.n_categories,
                                             n_classes, len(complete), seed, y[complete])
            params = model.get_params(deep=False)
            shown = ", ".join(f"{k}={params[k]!r}" for k in
                              ("latent_dim", "batch_size", "max_iter") if k in params)
            judge(name, gen, labels, {"kind": "density of X and y",
                                      "hyperparameters": f"{type(model).__name__}({shown})"})
        except Exception as exc:
            out[name] = {"failed": f"{type(exc).__name__}: {exc}"}
    return out


def real_rows(table, split, n_rows=3):
    """Return a few real training rows of each class, to show beside the generated ones."""
    train_by_class, _ = split
    idx = np.concatenate([t[:n_rows] for t in train_by_class])
    return {"rows": table.X[idx].tolist(), "labels": table.y[idx].astype(int).tolist()}
