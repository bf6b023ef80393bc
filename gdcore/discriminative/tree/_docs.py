"""The numpydoc docstrings of the trees and forests, from shared parameter entries.

Six estimators share most of their parameters; each entry is written once
here and each class docstring lists its own, in its constructor's order,
with its own defaults (``{default}`` in an entry).
"""

PARAMS = {
    "n_estimators": """n_estimators : int, default=100
    Number of trees in the forest.""",
    "criterion_clf": """criterion : {{"gini", "entropy", "log_loss"}}, default="gini"
    Impurity a split minimizes: Gini or Shannon entropy ("log_loss" is
    "entropy").  Criterion objects are fitted by scikit-learn's estimator.""",
    "criterion_reg": """criterion : {{"squared_error", "poisson", "absolute_error", \
"friedman_mse"}}, default="squared_error"
    Impurity a split minimizes.  "absolute_error" is fitted by scikit-learn's
    estimator; "friedman_mse" is deprecated in scikit-learn 1.9 and maps to
    "squared_error" with a FutureWarning.""",
    "splitter": """splitter : {{"best", "random"}}, default="best"
    "best" scans every threshold of the drawn features; "random" draws one
    random threshold per drawn feature (extremely randomized trees).""",
    "max_depth": """max_depth : int, default=None
    Maximum depth of a tree; None grows until the leaves are pure or hold
    fewer than ``min_samples_split`` samples.""",
    "min_samples_split": """min_samples_split : int or float, default=2
    Fewest samples a node needs to be split (a float is a fraction of the
    training rows, rounded up).""",
    "min_samples_leaf": """min_samples_leaf : int or float, default=1
    Fewest samples each child of a split must keep (a float is a fraction of
    the training rows, rounded up).""",
    "min_weight_fraction_leaf": """min_weight_fraction_leaf : float, default=0.0
    Smallest fraction of the total sample weight each leaf must hold.""",
    "max_features_tree": """max_features : int, float, {{"sqrt", "log2"}} or None, \
default=None
    Features drawn at each split: an int is a count, a float a fraction of
    the features, None all of them.""",
    "max_features_clf": """max_features : int, float, {{"sqrt", "log2"}} or None, \
default="sqrt"
    Features drawn at each split: an int is a count, a float a fraction of
    the features, None all of them.""",
    "max_features_reg": """max_features : int, float, {{"sqrt", "log2"}} or None, \
default=1.0
    Features drawn at each split: an int is a count, a float a fraction of
    the features, None all of them.""",
    "random_state": """random_state : int, RandomState instance or None, default=None
    Seed of the feature draws, random thresholds, bootstrap samples and the
    quantile subsample of the bins; the same seed gives the same model on
    any number of threads.""",
    "max_leaf_nodes": """max_leaf_nodes : int, default=None
    Grow best first up to this many leaves; None grows depth first without
    a limit on the leaves.""",
    "min_impurity_decrease": """min_impurity_decrease : float, default=0.0
    A node is split only if the weighted impurity decrease is at least this.""",
    "bootstrap": """bootstrap : bool, default={default}
    Whether each tree grows on a bootstrap sample of the rows (drawn with
    replacement) instead of all of them.""",
    "oob_score": """oob_score : bool or callable, default=False
    Whether to score the forest on the rows each tree left out of its
    bootstrap sample (``oob_score_``); a callable ``score(y_true, y_pred)``
    replaces the default accuracy / R^2.  Needs ``bootstrap=True``.""",
    "n_jobs_forest": """n_jobs : int, default=None
    OpenMP threads: trees grow in parallel, rows are predicted in parallel.
    None uses OpenMP's default (``OMP_NUM_THREADS``), -1 all cores.  The
    thread count never changes the model.""",
    "n_jobs_tree": """n_jobs : int, default=None
    OpenMP threads inside the tree (histograms and exact scans in parallel
    over features, prediction over rows).  None uses OpenMP's default, -1
    all cores.  The thread count never changes the tree.""",
    "verbose": """verbose : int, default=0
    0 prints nothing; 1 prints the trees built after each tenth of the fit
    (with the elapsed time), 2 also each tree as it starts, as scikit-learn's
    forests do.""",
    "warm_start": """warm_start : bool, default=False
    Whether a new ``fit`` keeps the fitted trees and adds trees up to
    ``n_estimators``.""",
    "class_weight_tree": """class_weight : dict, list of dict or "balanced", default=None
    Weights of the classes, multiplied into the sample weights; "balanced"
    weighs classes inversely to their frequency.""",
    "class_weight_forest": """class_weight : dict, list of dict, {{"balanced", \
"balanced_subsample"}}, default=None
    Weights of the classes, multiplied into the sample weights; "balanced"
    weighs classes inversely to their frequency, "balanced_subsample" to
    their frequency in each tree's bootstrap sample.""",
    "ccp_alpha": """ccp_alpha : float, default=0.0
    Complexity parameter of minimal cost-complexity pruning: the subtree
    with the largest cost complexity below it is kept; 0 prunes nothing.""",
    "max_samples": """max_samples : int or float, default=None
    Rows drawn for each tree's bootstrap sample: an int is a count, a float
    a fraction of the rows (it may exceed 1), None as many as there are
    rows.  Only with ``bootstrap=True``.""",
    "monotonic_cst": """monotonic_cst : array-like of int of shape (n_features,), \
default=None
    Monotonic constraint per feature (1 increasing, -1 decreasing, 0 none);
    fitted by scikit-learn's estimator.""",
    "max_bins": """max_bins : int or None, default=255
    Bins per feature for histogram split finding (2 to 255): a feature with
    at most this many distinct values keeps one bin per value (exact
    splits), others get quantile bins.  None splits exactly on every
    distinct value, as scikit-learn does.""",
}

ATTRS = {
    "classes_": """classes_ : ndarray of shape (n_classes,) or list of ndarray
    Class labels (a list with one array per output if y has several columns).""",
    "n_classes_": """n_classes_ : int or list of int
    Number of classes (per output).""",
    "n_outputs_": """n_outputs_ : int
    Number of outputs (columns of y).""",
    "max_features_": """max_features_ : int
    Features drawn at each split, as resolved from ``max_features``.""",
    "n_features_in_": """n_features_in_ : int
    Number of features seen during ``fit``.""",
    "feature_names_in_": """feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of the features seen during ``fit``, when X had string column names.""",
    "tree_": """tree_ : Tree
    The fitted tree's node arrays, in scikit-learn's ``tree_`` layout
    (``children_left``, ``children_right``, ``feature``, ``threshold``,
    ``value``, ``impurity``, ``n_node_samples``, ...).""",
    "feature_importances_": """feature_importances_ : ndarray of shape (n_features,)
    Normalized total impurity decrease brought by each feature.""",
    "expected_value_": """expected_value_ : float or ndarray
    Base value of ``shap_values``: the cover-weighted mean prediction.""",
    "estimators_": """estimators_ : list of DecisionTreeClassifier or DecisionTreeRegressor
    The fitted trees; the forest is also a sequence of them (``len``,
    indexing, iteration).""",
    "estimator_": """estimator_ : DecisionTreeClassifier or DecisionTreeRegressor
    The unfitted tree each member is grown as.""",
    "estimators_samples_": """estimators_samples_ : list of ndarray
    Rows drawn for each tree (with repeats under bootstrap).""",
    "oob_score_": """oob_score_ : float
    Score on the out-of-bag rows; only with ``oob_score``.""",
    "oob_decision_function_": """oob_decision_function_ : ndarray of shape \
(n_samples, n_classes) or (n_samples, n_classes, n_outputs)
    Out-of-bag class probabilities of each training row; only with ``oob_score``.""",
    "oob_prediction_": """oob_prediction_ : ndarray of shape (n_samples,) or \
(n_samples, n_outputs)
    Out-of-bag prediction of each training row; only with ``oob_score``.""",
}


def class_doc(summary, params, attrs, see_also, examples, defaults=None):
    """Return a numpydoc class docstring from entries of PARAMS and ATTRS.

    ``params`` are PARAMS keys in the constructor's order; ``defaults`` fills
    an entry's ``{default}``.
    """
    defaults = defaults or {}
    params_text = "\n".join(PARAMS[p].format(default=defaults.get(p, "")) for p in params)
    attrs_text = "\n".join(ATTRS[a] for a in attrs)
    return (f"{summary}\n\nParameters\n----------\n{params_text}\n\n"
            f"Attributes\n----------\n{attrs_text}\n\nSee Also\n--------\n{see_also}\n\n"
            f"Examples\n--------\n{examples}\n")


def _forest_params(kind):
    clf = kind == "clf"
    return ["n_estimators", f"criterion_{kind}", "max_depth", "min_samples_split",
            "min_samples_leaf", "min_weight_fraction_leaf", f"max_features_{kind}",
            "max_leaf_nodes", "min_impurity_decrease", "bootstrap", "oob_score",
            "n_jobs_forest", "random_state", "verbose", "warm_start",
            *(["class_weight_forest"] if clf else []), "ccp_alpha", "max_samples",
            "monotonic_cst", "max_bins"]


_FOREST_ATTRS = ["estimators_", "estimator_", "n_outputs_", "n_features_in_",
                 "feature_names_in_", "feature_importances_", "estimators_samples_",
                 "oob_score_", "expected_value_"]
_FOREST_NOTE = """

Parameters and attributes are scikit-learn's, plus ``max_bins``.  The data
are binned once; all trees grow in one compiled call, in parallel over
trees, each from its own seed, so a forest is the same on any thread count.
Sparse X is binned natively; other criteria and ``monotonic_cst`` are
fitted by scikit-learn's forest of the same name (logged at debug level).
``shap_values`` gives exact TreeSHAP contributions."""
_EXAMPLE = """>>> from sklearn.datasets import {data}
>>> from gdcore import {name}
>>> X, y = {data}(return_X_y=True)
>>> model = {name}(n_estimators=10, random_state=0).fit(X, y)
>>> model.predict(X[:3]).shape, model.shap_values(X[:3]).shape
{shapes}"""


def forest_doc(name, summary, kind, bootstrap):
    """Return the class docstring of forest ``name`` ("clf" or "reg" ``kind``)."""
    clf = kind == "clf"
    return class_doc(
        summary + _FOREST_NOTE, _forest_params(kind),
        (["classes_", "n_classes_"] if clf else []) + _FOREST_ATTRS
        + (["oob_decision_function_"] if clf else ["oob_prediction_"]),
        ("DecisionTreeClassifier : One classification tree." if clf else
         "DecisionTreeRegressor : One regression tree."),
        _EXAMPLE.format(data="load_iris" if clf else "load_diabetes", name=name,
                        shapes="((3,), (3, 4, 3))" if clf else "((3,), (3, 10))"),
        defaults={"bootstrap": bootstrap})
