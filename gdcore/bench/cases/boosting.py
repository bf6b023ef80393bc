"""Gradient boosting against LightGBM, XGBoost (tree_method="hist") and scikit-learn.

Every side grows the same model: 100 iterations, 31 leaves (leaf-wise),
255 bins, learning rate 0.1, at least 20 rows per leaf, no L2, no early
stopping, 2 threads.  Full sizes: binary make_classification(1,250,000 x
40, 20 informative, random_state=0) split 1,000,000 / 250,000; a 10-class
problem (250,000 x 40, 200,000 train); a regression (make_regression
500,000 x 40, 400,000 train).  Agreement is the test log-loss (or R^2) of
both sides.  TreeSHAP of a 100-iteration binary model (100,000 training
rows) on 10,000 rows against LightGBM's ``pred_contrib``.  Native
categorical splits (``_categorical_cases``): a binary problem with 4
categorical features of 20 to 200 categories whose effects have no order and
8 numerical ones, against scikit-learn and LightGBM given the same
categorical features.  Quick runs use bundled data: breast_cancer tiled 20
times, digits, diabetes tiled 20 times, and a smaller categorical problem.
Peers are imported inside the run functions, so a missing one is skipped
with its install command.
"""

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.metrics import log_loss, r2_score

from gdcore.bench import Case, cached, split_train_test

N_JOBS = 2
ITERS, LEAVES, BINS, RATE, MIN_LEAF = 100, 31, 255, 0.1, 20


def _ours(kind):
    from gdcore.discriminative.boosting import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    cls = HistGradientBoostingClassifier if kind == "clf" else HistGradientBoostingRegressor
    return cls(max_iter=ITERS, max_leaf_nodes=LEAVES, max_bins=BINS, learning_rate=RATE,
               min_samples_leaf=MIN_LEAF, early_stopping=False, n_jobs=N_JOBS,
               random_state=0)


def _sklearn(kind):
    from sklearn import ensemble

    cls = (ensemble.HistGradientBoostingClassifier if kind == "clf"
           else ensemble.HistGradientBoostingRegressor)
    return cls(max_iter=ITERS, max_leaf_nodes=LEAVES, max_bins=BINS, learning_rate=RATE,
               min_samples_leaf=MIN_LEAF, early_stopping=False, random_state=0)


def _lightgbm(kind):
    import lightgbm

    cls = lightgbm.LGBMClassifier if kind == "clf" else lightgbm.LGBMRegressor
    return cls(n_estimators=ITERS, num_leaves=LEAVES, max_bin=BINS, learning_rate=RATE,
               min_child_samples=MIN_LEAF, reg_lambda=0.0, n_jobs=N_JOBS, verbose=-1,
               random_state=0)


def _xgboost(kind):
    import xgboost

    cls = xgboost.XGBClassifier if kind == "clf" else xgboost.XGBRegressor
    return cls(tree_method="hist", n_estimators=ITERS, max_leaves=LEAVES, max_depth=0,
               grow_policy="lossguide", max_bin=BINS + 1, learning_rate=RATE,
               reg_lambda=0.0, n_jobs=N_JOBS, random_state=0)


PEERS = {"LightGBM": _lightgbm, "XGBoost hist": _xgboost, "scikit-learn": _sklearn}


def _agreement(kind):
    def metric(d, out):
        if kind == "clf":
            return log_loss(d["yt"], out)
        return r2_score(d["yt"], out)

    name = "log-loss" if kind == "clf" else "R2"

    def predicted(model, d):
        return model.predict_proba(d["Xt"]) if kind == "clf" else model.predict(d["Xt"])

    def fit_agreement(ours, theirs, d):
        return (f"test {name} {metric(d, predicted(ours, d)):.4f} vs "
                f"{metric(d, predicted(theirs, d)):.4f}")

    def predict_agreement(ours, theirs, d):
        return f"test {name} {metric(d, ours):.4f} vs {metric(d, theirs):.4f}"

    return fit_agreement, predict_agreement


def _cases(kind, name, shape, make, peers, repeat):
    fit_agree, predict_agree = _agreement(kind)
    predict = (lambda m, X: m.predict_proba(X)) if kind == "clf" else (  # noqa: E731
        lambda m, X: m.predict(X))
    out = []
    for peer in peers:
        make_peer = PEERS[peer]

        def fitted(make_peer=make_peer, peer=peer):
            d = cached((name, shape), make)
            key = ("fitted", peer)
            if key not in d:
                d[key] = (_ours(kind).fit(d["X"], d["y"]),
                          make_peer(kind).fit(d["X"], d["y"]))
            return d

        data = lambda: cached((name, shape), make)  # noqa: E731
        out.append(Case("boosting", f"{name} fit", shape, peer, data,
                        lambda d: _ours(kind).fit(d["X"], d["y"]),
                        lambda d, mp=make_peer: mp(kind).fit(d["X"], d["y"]),
                        fit_agree, repeat=repeat))
        if peer != "scikit-learn":
            out.append(Case("boosting", f"{name} predict", shape, peer, fitted,
                             lambda d, p=peer: predict(d[("fitted", p)][0], d["Xt"]),
                             lambda d, p=peer: predict(d[("fitted", p)][1], d["Xt"]),
                             predict_agree, repeat=3))
    return out


def _shap_case(shape, make, n_explain):
    """TreeSHAP of the fitted binary model against two peers.

    LightGBM's ``pred_contrib`` (its TreeSHAP) on its own model, and the shap
    package's TreeExplainer on scikit-learn's model with the same parameters.
    """

    def fitted():
        d = cached(("shap", shape), make)
        if "models" not in d:
            d["models"] = (_ours("clf").fit(d["X"], d["y"]), _lightgbm("clf").fit(d["X"], d["y"]),
                           _sklearn("clf").fit(d["X"], d["y"]))
            d["Xs"] = np.ascontiguousarray(d["Xt"][:n_explain])
        return d

    def run_shap(d):
        import shap  # a bench-only peer

        explainer = shap.TreeExplainer(d["models"][2])
        return explainer.shap_values(d["Xs"], check_additivity=False), explainer.expected_value

    def shap_agreement(ours, theirs, d):
        ours_raw = d["models"][0].decision_function(d["Xs"])
        gap = np.abs(ours.sum(axis=1) + d["models"][0].expected_value_ - ours_raw).max()
        phi, base = theirs
        their_gap = np.abs(phi.sum(axis=1) + np.ravel(base)[0]
                           - d["models"][2].decision_function(d["Xs"])).max()
        return f"additivity error {gap:.1e} vs {their_gap:.1e}"

    def agreement(ours, theirs, d):
        ours_raw = d["models"][0].decision_function(d["Xs"])
        gap = np.abs(ours.sum(axis=1) + d["models"][0].expected_value_ - ours_raw).max()
        lgb_gap = np.abs(theirs.sum(axis=1)
                         - d["models"][1].predict(d["Xs"], raw_score=True)).max()
        return f"additivity error {gap:.1e} vs {lgb_gap:.1e}"

    ours = lambda d: d["models"][0].shap_values(d["Xs"])  # noqa: E731
    return [Case("boosting", "HistGradientBoostingClassifier shap_values", shape, "LightGBM",
                 fitted, ours, lambda d: d["models"][1].predict(d["Xs"], pred_contrib=True),
                 agreement, repeat=3),
            Case("boosting", "HistGradientBoostingClassifier shap_values", shape,
                 "shap (scikit-learn's model)", fitted, ours, run_shap, shap_agreement,
                 repeat=3)]


CATEGORICAL = [0, 1, 2, 3]


def _categorical(n):
    """Binary labels from unordered category effects plus a linear numerical part."""
    rng = np.random.default_rng(0)
    cards = (20, 50, 100, 200)
    codes = np.column_stack([rng.integers(0, c, n) for c in cards])
    effects = [rng.normal(scale=0.8, size=c) for c in cards]
    num = rng.normal(size=(n, 8))
    logit = sum(e[codes[:, j]] for j, e in enumerate(effects)) + num @ rng.normal(size=8) * 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return split_train_test(np.column_stack([codes, num]).astype(np.float64), y)


def _categorical_cases(shape, make, repeat):
    """Fit with native categorical splits on every side (same features declared)."""
    fit_agree = _agreement("clf")[0]

    def ours(d):
        return _ours("clf").set_params(categorical_features=CATEGORICAL).fit(d["X"], d["y"])

    def sklearn_fit(d):
        return _sklearn("clf").set_params(categorical_features=CATEGORICAL).fit(d["X"], d["y"])

    def lightgbm_fit(d):
        return _lightgbm("clf").fit(d["X"], d["y"], categorical_feature=CATEGORICAL)

    data = lambda: cached(("categorical", shape), make)  # noqa: E731
    name = "HistGradientBoostingClassifier categorical fit"
    return [Case("boosting", name, shape, peer, data, ours, fit, fit_agree, repeat=repeat)
            for peer, fit in (("scikit-learn", sklearn_fit), ("LightGBM", lightgbm_fit))]


def _binary(n):
    X, y = make_classification(n_samples=n, n_features=40, n_informative=20, random_state=0)
    return split_train_test(X.astype(np.float32), y)


def _multiclass(n):
    X, y = make_classification(n_samples=n, n_features=40, n_informative=20, n_classes=10,
                               random_state=0)
    return split_train_test(X.astype(np.float32), y)


def _regression(n):
    X, y = make_regression(n_samples=n, n_features=40, n_informative=20, noise=10.0,
                           random_state=0)
    return split_train_test(X.astype(np.float32), y)


def _tiled(load, times):
    X, y = load(return_X_y=True)
    rng = np.random.default_rng(0)
    X = np.tile(X, (times, 1)) * rng.uniform(0.99, 1.01, (times * len(y), X.shape[1]))
    order = rng.permutation(len(X))
    return split_train_test(X[order], np.tile(y, times)[order])


def cases(size):
    """Return this family's cases at ``size``, "full" or "quick"."""
    all_peers = ["LightGBM", "XGBoost hist", "scikit-learn"]
    if size == "quick":
        return (_cases("clf", "HistGradientBoostingClassifier binary",
                       "9104x30 breast_cancer x20", lambda: _tiled(load_breast_cancer, 20),
                       all_peers, 3)
                + _cases("clf", "HistGradientBoostingClassifier 10-class", "1437x64 digits",
                         lambda: split_train_test(*load_digits(return_X_y=True)),
                         ["LightGBM", "scikit-learn"], 3)
                + _cases("reg", "HistGradientBoostingRegressor", "7072x10 diabetes x20",
                         lambda: _tiled(load_diabetes, 20), ["LightGBM", "scikit-learn"], 3)
                + _shap_case("9104x30 breast_cancer x20 (1000 explained)",
                             lambda: _tiled(load_breast_cancer, 20), 1000)
                + _categorical_cases("16000x12, 4 categorical (+4000 test)",
                                     lambda: _categorical(20_000), 3))
    return (_cases("clf", "HistGradientBoostingClassifier binary", "1000000x40 (+250000 test)",
                   lambda: _binary(1_250_000), all_peers, 1)
            + _cases("clf", "HistGradientBoostingClassifier 10-class",
                     "200000x40 (+50000 test)", lambda: _multiclass(250_000),
                     ["LightGBM", "scikit-learn"], 1)
            + _cases("reg", "HistGradientBoostingRegressor", "400000x40 (+100000 test)",
                     lambda: _regression(500_000), ["LightGBM", "scikit-learn"], 1)
            + _shap_case("100000x40 (10000 explained)", lambda: _binary(125_000), 10_000)
            + _categorical_cases("400000x12, 4 categorical (+100000 test)",
                                 lambda: _categorical(500_000), 1))
