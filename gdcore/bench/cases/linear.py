"""Logistic regression against scikit-learn, scikit-learn-intelex, statsmodels.

Full sizes are the README's: make_classification(200,000 x 100), binary and 10
classes, L2 with C = 1, every side lbfgs at tol 1e-4 on 2 threads, against
scikit-learn and against scikit-learn-intelex (``sklearnex.linear_model``,
oneDAL, not patched into scikit-learn; imported where its cases run, so that
a missing package skips only those rows); the ordinal fit on 200,000 x 50
with 5 levels against statsmodels' OrderedModel (BFGS, its default).  The
agreement column gives both final objectives (scikit-learn's scaled
objective, or the negative mean log-likelihood), so a speed-up at a worse
objective would show.  Quick runs use the bundled datasets.
``growth_cases`` gives the binary fit at 12,500 -> 800,000 rows for
``gdcore bench --growth``.
"""

import warnings

import numpy as np
import sklearn.linear_model as sk
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import gdcore
from gdcore.bench import Case, cached
from gdcore.discriminative.linear._logistic_loss import LogisticLoss

N_THREADS = 2


def _objective(model, data):
    X, y = data["X"], data["y"]
    _, y_idx = np.unique(y, return_inverse=True)
    loss = LogisticLoss(X, y_idx, np.ones(len(y)), model.coef_.shape[0], True,
                        1.0 / len(y), N_THREADS)
    return loss.loss_grad(np.concatenate([model.coef_.ravel(), model.intercept_]))[0]


def _l2_agreement(ours, theirs, data):
    fo, fp = _objective(ours, data), _objective(theirs, data)
    return f"objective {fo:.8f} vs {fp:.8f} (rel {(fo - fp) / abs(fp):+.1e})"


def _classification(n, d, k):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=min(d, 20),
                               n_classes=k, random_state=0)
    return {"X": np.ascontiguousarray(X), "y": y}


def _bundled(loader, times):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return {"X": np.tile(X, (times, 1)), "y": np.tile(y, times)}


def _fit_ours(data):
    return gdcore.LogisticRegression(n_jobs=N_THREADS).fit(data["X"], data["y"])


def _fit_sklearn(data):
    # scikit-learn's loss uses OpenMP (n_threads from the environment) and BLAS;
    # both held to the same 2 threads as gdcore.
    with threadpool_limits(limits=N_THREADS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sk.LogisticRegression().fit(data["X"], data["y"])


def _fit_intelex(data):
    from sklearnex.linear_model import LogisticRegression as IntelexLogisticRegression

    # oneDAL's threads follow n_jobs; BLAS is held as for scikit-learn.
    with threadpool_limits(limits=N_THREADS), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn 1.9 deprecates n_jobs here
        return IntelexLogisticRegression(n_jobs=N_THREADS).fit(data["X"], data["y"])


def _ordinal_data(n, d, levels, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = rng.normal(0.0, 0.3, d)
    theta = np.linspace(-2.0, 2.0, levels - 1)
    y = np.searchsorted(theta, X @ beta + rng.logistic(size=n))
    return {"X": X, "y": y}


def _ordinal_ours(data):
    return gdcore.OrdinalLogisticRegression(n_jobs=N_THREADS).fit(data["X"], data["y"])


def _ordinal_statsmodels(data):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    with threadpool_limits(limits=N_THREADS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = OrderedModel(data["y"], data["X"], distr="logit")
        return model, model.fit(method="bfgs", disp=0)


def _ordinal_agreement(ours, theirs, data):
    model, res = theirs
    n, d = data["X"].shape
    P = ours.predict_proba(data["X"])
    ll_ours = np.log(P[np.arange(n), np.searchsorted(ours.classes_, data["y"])]).mean()
    return (f"mean loglik {ll_ours:.7f} vs {res.llf / n:.7f}, "
            f"max |dcoef| {np.abs(ours.coef_ - res.params[:d]).max():.1e}")


def _logistic_cases(key, make, shape, task, repeat):
    """Return the fit of ``make``'s data against scikit-learn and scikit-learn-intelex."""
    data = lambda: cached(key, make)  # noqa: E731
    return [Case("linear", task, shape, peer, data, _fit_ours, run_peer, _l2_agreement,
                 repeat=repeat)
            for peer, run_peer in (("scikit-learn", _fit_sklearn),
                                   ("scikit-learn-intelex", _fit_intelex))]


def growth_cases():
    """Binary LogisticRegression fit on 12,500 -> 800,000 rows x 100, against sklearnex.

    One Case per size (``Case.size`` = rows), growing 4x; ``gdcore bench
    --growth`` runs each once per side in a fresh process and fits the
    time exponent.
    """
    return [Case("linear", "LogisticRegression binary fit", f"{n}x100",
                 "scikit-learn-intelex", lambda n=n: _classification(n, 100, 2),
                 _fit_ours, _fit_intelex, _l2_agreement, repeat=1, min_seconds=0, size=n)
            for n in (12_500, 50_000, 200_000, 800_000)]


def cases(size="full"):
    """Return this family's cases at ``size``, "full" or "quick"."""
    if size == "full":
        binary = lambda: _classification(200_000, 100, 2)  # noqa: E731
        multi = lambda: _classification(200_000, 100, 10)  # noqa: E731
        ordinal = lambda: _ordinal_data(200_000, 50, 5)  # noqa: E731
        shapes = ("200000x100", "200000x100 k=10", "200000x50 K=5")
        # one timed run each: scikit-learn's 10-class fit alone is minutes
        repeat = 1
    else:
        binary = lambda: _bundled(load_breast_cancer, 20)  # noqa: E731
        multi = lambda: _bundled(load_digits, 5)  # noqa: E731
        ordinal = lambda: _ordinal_data(5_000, 10, 5)  # noqa: E731
        shapes = ("breast_cancer x20", "digits x5", "5000x10 K=5")
        repeat = 3
    return [
        *_logistic_cases("binary", binary, shapes[0], "LogisticRegression binary fit",
                         repeat),
        *_logistic_cases("multi", multi, shapes[1], "LogisticRegression multinomial fit",
                         repeat),
        Case("linear", "OrdinalLogisticRegression fit", shapes[2], "statsmodels",
             ordinal, _ordinal_ours, _ordinal_statsmodels, _ordinal_agreement, repeat=1),
    ]
