"""Trees and forests against scikit-learn, scikit-learn-intelex and LightGBM's rf mode.

Full sizes are the README's: make_classification(100,000 x 40, 20 informative,
random_state=0), 80/20 split; RandomForestClassifier(n_estimators=100) fit
and predict, one DecisionTreeClassifier fit, 2 threads on both sides
(a scikit-learn tree has no threads); the same forest fit and predict
against scikit-learn-intelex and LightGBM's random-forest mode, there and
at 1,000,000 x 40; ExtraTreesClassifier(100) and RandomForestRegressor(100)
(make_regression(25,000 x 40, 20 informative, noise 10): fully grown trees
searching all 40 features, minutes a fit at the classifier's size) against
scikit-learn-intelex's; TreeSHAP against the shap package.  Then fit time against
n (10k, 100k, 1M rows, 10 trees each) for the growth curve.  Quick runs use
breast_cancer tiled 20 times (11,380 x 30).  ``growth_cases`` (``gdcore bench
tree --growth``): the forest fit from 20,000 to 1,280,000 rows against
scikit-learn-intelex, one fresh process per size and side.
"""

import numpy as np
from sklearn import ensemble as ske
from sklearn import tree as skt
from sklearn.datasets import load_breast_cancer, make_classification, make_regression
from sklearn.metrics import r2_score

import gdcore
from gdcore.bench import Case, cached, split_train_test

N_JOBS = 2


def _classification(n):
    X, y = make_classification(n_samples=n, n_features=40, n_informative=20, random_state=0)
    return split_train_test(X, y)


def _breast_cancer_tiled():
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    X = np.tile(X, (20, 1)) * rng.uniform(0.99, 1.01, (20 * len(y), X.shape[1]))
    return split_train_test(X, np.tile(y, 20))


def _acc(ours, theirs, d):
    return (f"test acc {ours.score(d['Xt'], d['yt']):.4f} vs "
            f"{theirs.score(d['Xt'], d['yt']):.4f}")


def _pred_acc(ours, theirs, d):
    return f"test acc {np.mean(ours == d['yt']):.4f} vs {np.mean(theirs == d['yt']):.4f}"


def _lightgbm_rf(n_estimators, n_features):
    """LightGBM's random-forest mode with the forest's settings.

    Trees grown to at most 2**13 leaves (ours have ~6,000 on the full-size
    80,000 rows): LightGBM sizes its histogram pool by ``num_leaves``, so a
    much larger bound such as 2**16 makes its fit many times slower for the
    same trees (`gdcore bench tree`).
    """
    import lightgbm

    return lightgbm.LGBMClassifier(boosting_type="rf", n_estimators=n_estimators,
                                   num_leaves=2**13, max_depth=-1, min_child_samples=1,
                                   subsample=0.632, subsample_freq=1,
                                   colsample_bynode=np.sqrt(n_features) / n_features,
                                   histogram_pool_size=1024, n_jobs=N_JOBS, verbose=-1)


def _forest_cases(make, shape, n_estimators, repeat):
    ours = lambda: gdcore.RandomForestClassifier(n_estimators, n_jobs=N_JOBS,  # noqa: E731
                                                 random_state=0)
    peer = lambda: ske.RandomForestClassifier(n_estimators, n_jobs=N_JOBS,  # noqa: E731
                                              random_state=0)

    def fitted():
        d = make()
        return {**d, "ours": ours().fit(d["X"], d["y"]), "peer": peer().fit(d["X"], d["y"])}

    data = lambda: cached(("forest", shape, n_estimators), fitted)  # noqa: E731
    out = [
        Case("tree", f"RandomForestClassifier({n_estimators}) fit", shape, "scikit-learn",
             data, lambda d: ours().fit(d["X"], d["y"]), lambda d: peer().fit(d["X"], d["y"]),
             _acc, repeat=repeat),
        Case("tree", f"RandomForestClassifier({n_estimators}) predict", shape, "scikit-learn",
             data, lambda d: d["ours"].predict(d["Xt"]), lambda d: d["peer"].predict(d["Xt"]),
             _pred_acc, repeat=3),
    ]
    return out + _strong_peer_cases(make, shape, n_estimators, repeat)


def _sklearnex_rf(n_estimators):
    """scikit-learn-intelex's (oneDAL's) forest with scikit-learn's defaults, 2 threads."""
    from sklearnex.ensemble import RandomForestClassifier  # a bench-only peer

    return RandomForestClassifier(n_estimators, n_jobs=N_JOBS, random_state=0)


def _strong_peer_cases(make, shape, n_estimators, repeat):
    """Forest fit and predict against the strongest CPU peers: oneDAL and LightGBM's rf mode.

    Each peer is imported inside its run, so a missing one is skipped; its
    fitted model for the predict row is made on first use (peer imported then).
    """
    ours = lambda: gdcore.RandomForestClassifier(n_estimators, n_jobs=N_JOBS,  # noqa: E731
                                                 random_state=0)
    peers = {"scikit-learn-intelex": lambda d: _sklearnex_rf(n_estimators),
             "LightGBM rf": lambda d: _lightgbm_rf(n_estimators, d["X"].shape[1])}
    out = []
    for label, make_peer in peers.items():
        def fitted(label=label, make_peer=make_peer):
            d = make()
            return {**d, "ours": ours().fit(d["X"], d["y"])}

        data = lambda fitted=fitted: cached(("forest-strong", shape, n_estimators),  # noqa: E731
                                             fitted)

        def peer_model(d, label=label, make_peer=make_peer):
            key = "peer " + label
            if key not in d:
                d[key] = make_peer(d).fit(d["X"], d["y"])
            return d[key]

        out += [
            Case("tree", f"RandomForestClassifier({n_estimators}) fit", shape, label, data,
                 lambda d: ours().fit(d["X"], d["y"]),
                 lambda d, make_peer=make_peer: make_peer(d).fit(d["X"], d["y"]),
                 _acc, repeat=repeat),
            Case("tree", f"RandomForestClassifier({n_estimators}) predict", shape, label, data,
                 lambda d: d["ours"].predict(d["Xt"]),
                 lambda d, peer_model=peer_model: peer_model(d).predict(d["Xt"]),
                 _pred_acc, repeat=3),
        ]
    return out


def _regression(n):
    X, y = make_regression(n_samples=n, n_features=40, n_informative=20, noise=10.0,
                           random_state=0)
    return split_train_test(X, y)


def _r2(ours, theirs, d):
    return (f"test R^2 {ours.score(d['Xt'], d['yt']):.4f} vs "
            f"{theirs.score(d['Xt'], d['yt']):.4f}")


def _pred_r2(ours, theirs, d):
    return f"test R^2 {r2_score(d['yt'], ours):.4f} vs {r2_score(d['yt'], theirs):.4f}"


def _intelex_family_cases(make_clf, clf_shape, make_reg, reg_shape, n_estimators, repeat):
    """ExtraTreesClassifier and RandomForestRegressor against scikit-learn-intelex's.

    The other forests oneDAL accelerates, with scikit-learn's defaults on both
    sides (ExtraTrees: no bootstrap, sqrt features; the regressor: all
    features, squared error), 2 threads each.
    """
    pairs = [("ExtraTreesClassifier", make_clf, clf_shape, _acc, _pred_acc),
             ("RandomForestRegressor", make_reg, reg_shape, _r2, _pred_r2)]
    out = []
    for name, make, shape, fit_agree, predict_agree in pairs:
        def ours(name=name):
            return getattr(gdcore, name)(n_estimators, n_jobs=N_JOBS, random_state=0)

        def peer(name=name):
            import sklearnex.ensemble  # a bench-only peer

            return getattr(sklearnex.ensemble, name)(n_estimators, n_jobs=N_JOBS,
                                                     random_state=0)

        def fitted(make=make, ours=ours, peer=peer):
            d = make()
            return {**d, "ours": ours().fit(d["X"], d["y"]), "peer": peer().fit(d["X"], d["y"])}

        data = lambda make=make, key=(name, shape): cached(key, make)  # noqa: E731
        fitted_data = lambda fitted=fitted, key=(name, shape, "fitted"): cached(  # noqa: E731
            key, fitted)
        out += [
            Case("tree", f"{name}({n_estimators}) fit", shape, "scikit-learn-intelex", data,
                 lambda d, ours=ours: ours().fit(d["X"], d["y"]),
                 lambda d, peer=peer: peer().fit(d["X"], d["y"]), fit_agree, repeat=repeat),
            Case("tree", f"{name}({n_estimators}) predict", shape, "scikit-learn-intelex",
                 fitted_data, lambda d: d["ours"].predict(d["Xt"]),
                 lambda d: d["peer"].predict(d["Xt"]), predict_agree, repeat=3),
        ]
    return out


def _tree_case(make, shape, repeat):
    data = lambda: cached(("tree", shape), make)  # noqa: E731
    return [Case("tree", "DecisionTreeClassifier fit", shape, "scikit-learn", data,
                 lambda d: gdcore.DecisionTreeClassifier(n_jobs=N_JOBS).fit(d["X"], d["y"]),
                 lambda d: skt.DecisionTreeClassifier(random_state=0).fit(d["X"], d["y"]),
                 _acc, repeat=repeat)]


def _growth_case(n):
    shape = f"{n}x40"
    make = lambda: split_train_test(*make_classification(n_samples=n, n_features=40,  # noqa: E731
                                               n_informative=20, random_state=0))
    data = lambda: cached(("growth", n), make)  # noqa: E731
    return Case("tree", "RandomForestClassifier(10) fit", shape, "scikit-learn", data,
                lambda d: gdcore.RandomForestClassifier(10, n_jobs=N_JOBS, random_state=0)
                .fit(d["X"], d["y"]),
                lambda d: ske.RandomForestClassifier(10, n_jobs=N_JOBS, random_state=0)
                .fit(d["X"], d["y"]), _acc, repeat=1)


# Training rows of the growth row, 4x apart: from where a forest fit takes a
# fraction of a second to where the codes, the bootstrap weights and the
# trees' index arrays no longer fit in cache.
GROWTH_ROWS = (20_000, 80_000, 320_000, 1_280_000)


def growth_cases():
    """RandomForestClassifier(100) fit on 20,000 -> 1,280,000 rows x 40, against sklearnex.

    scikit-learn-intelex is the strongest forest peer of this family's
    benches.  One Case per size (``Case.size`` = training rows); ``gdcore
    bench --growth`` runs each once per side in a fresh process and fits the
    time exponent.
    """
    def fit_ours(d):
        return gdcore.RandomForestClassifier(100, n_jobs=N_JOBS, random_state=0).fit(
            d["X"], d["y"])

    def fit_peer(d):
        return _sklearnex_rf(100).fit(d["X"], d["y"])

    return [Case("tree", "RandomForestClassifier(100) fit", f"{n}x40", "scikit-learn-intelex",
                 lambda n=n: _classification(n * 5 // 4), fit_ours, fit_peer, _acc,
                 repeat=1, min_seconds=0, size=n)
            for n in GROWTH_ROWS]


def _shap_case(n_train, n_explain, n_estimators, max_depth, repeat):
    """TreeSHAP of a forest against the shap package's TreeExplainer on scikit-learn's.

    Both forests grow on the same rows with the same parameters (depth-limited:
    TreeSHAP costs O(L D^2) per row and tree, and fully grown trees would take
    minutes on either side); each side explains ``n_explain`` test rows with
    its own trees.  The agreement column is each side's additivity error
    (contributions + base value against predict_proba) and mean leaves per tree.
    """
    shape = f"{n_explain} rows, {n_estimators} trees depth {max_depth}"

    def make():
        X, y = make_classification(n_samples=n_train + n_explain, n_features=40,
                                   n_informative=20, random_state=0)
        X = X.astype(np.float32)
        kw = dict(max_depth=max_depth, n_jobs=N_JOBS, random_state=0)
        return {"Xt": X[n_train:],
                "ours": gdcore.RandomForestClassifier(n_estimators, **kw)
                .fit(X[:n_train], y[:n_train]),
                "peer": ske.RandomForestClassifier(n_estimators, **kw)
                .fit(X[:n_train], y[:n_train])}

    def run_peer(d):
        import shap  # a bench-only peer

        explainer = shap.TreeExplainer(d["peer"])
        return explainer.shap_values(d["Xt"], check_additivity=False), explainer.expected_value

    def agreement(ours, theirs, d):
        err = [np.abs(phi.sum(axis=1) + base - d[side].predict_proba(d["Xt"])).max()
               for (phi, base), side in ((ours, "ours"), (theirs, "peer"))]
        leaves = [np.mean([e.tree_.n_leaves for e in d[side].estimators_])
                  for side in ("ours", "peer")]
        return (f"additivity {err[0]:.1e} vs {err[1]:.1e}, "
                f"leaves/tree {leaves[0]:.0f} vs {leaves[1]:.0f}")

    data = lambda: cached(("shap", n_train, n_explain, n_estimators, max_depth), make)  # noqa: E731
    return [Case("tree", f"RandomForestClassifier({n_estimators}) shap_values", shape, "shap",
                 data, lambda d: (d["ours"].shap_values(d["Xt"]), d["ours"].expected_value_),
                 run_peer, agreement, repeat=repeat)]


def cases(size):
    """Return this family's cases at ``size``, "full" or "quick"."""
    if size == "quick":
        shape = "9104x30 breast_cancer x20"
        return (_forest_cases(_breast_cancer_tiled, shape, 20, 3)
                + _tree_case(_breast_cancer_tiled, shape, 3)
                + _intelex_family_cases(_breast_cancer_tiled, shape,
                                        lambda: _regression(10_000),
                                        "8000x40 regression (+2000 test)", 20, 3)
                + _shap_case(5_000, 1_000, 100, 6, 3))
    shape = "80000x40 (+20000 test)"
    make = lambda: _classification(100_000)  # noqa: E731
    big = lambda: _classification(1_250_000)  # noqa: E731
    return (_forest_cases(make, shape, 100, 1) + _tree_case(make, shape, 1)
            + _intelex_family_cases(make, shape, lambda: _regression(25_000),
                                    "20000x40 regression (+5000 test)", 100, 1)
            + _strong_peer_cases(big, "1000000x40 (+250000 test)", 100, 1)
            + _shap_case(20_000, 10_000, 100, 6, 1)
            + [_growth_case(n) for n in (10_000, 100_000, 1_000_000)])
