"""SVC and SVR against scikit-learn's (libsvm): fit and predict, rbf kernel, C=1.

Full sizes are the README's: make_classification(20000, 50, flip_y=0.1,
random_state=0) (many support vectors, a hard problem) and digits, plus the
growth of fit time from 5,000 to 50,000 rows of the same generator (the
rows 5000, 10000, 20000 and 50000 of the table are the scaling table).  The
headline fits are timed 3 times (median); the growth fits once: the
50,000-row libsvm fit alone takes minutes.
Train/test split 80/20; agreement reports support vectors and test accuracy
on both sides.  Quick runs use digits and a 2,000-row problem.  SVR (rbf,
C=1, epsilon=0.1, standardized target) is timed on diabetes and on
make_regression(10000, 20, noise=20, random_state=0); agreement reports
support vectors and test R^2.
"""

import warnings

import sklearn.svm as sk
from sklearn.datasets import load_diabetes, load_digits, make_classification, make_regression
from sklearn.preprocessing import StandardScaler

import gdcore
from gdcore.bench import Case, cached, split_train_test


def _hard(n):
    X, y = make_classification(n_samples=n, n_features=50, flip_y=0.1, random_state=0)
    return split_train_test(X, y)


def _digits():
    X, y = load_digits(return_X_y=True)
    return split_train_test(StandardScaler().fit_transform(X), y)


def _standardized(X, y):
    X = StandardScaler().fit_transform(X)
    return split_train_test(X, (y - y.mean()) / y.std())


def _diabetes():
    return _standardized(*load_diabetes(return_X_y=True))


def _regression(n):
    return _standardized(*make_regression(n_samples=n, n_features=20, noise=20,
                                          random_state=0))


def _svr_cases(make, key, shape):
    def agreement(ours, theirs, d):
        return (f"SV {len(ours.support_)} vs {len(theirs.support_)}, test R^2 "
                f"{ours.score(d['Xt'], d['yt']):.4f} vs {theirs.score(d['Xt'], d['yt']):.4f}")

    return [Case("svm", "SVR rbf fit", shape, "scikit-learn", lambda: cached(key, make),
                 lambda d: gdcore.SVR(kernel="rbf", C=1.0).fit(d["X"], d["y"]),
                 lambda d: sk.SVR(kernel="rbf", C=1.0).fit(d["X"], d["y"]), agreement)]


def _fit_peer(d):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return sk.SVC(kernel="rbf", C=1.0).fit(d["X"], d["y"])


def _fit_ours(d):
    return gdcore.SVC(kernel="rbf", C=1.0).fit(d["X"], d["y"])


def _fit_agreement(ours, theirs, d):
    a = (ours.predict(d["Xt"]) == d["yt"]).mean()
    b = (theirs.predict(d["Xt"]) == d["yt"]).mean()
    return (f"SV {len(ours.support_)} vs {len(theirs.support_)}, "
            f"test acc {100 * a:.2f} vs {100 * b:.2f}")


def _predict_agreement(ours, theirs, d):
    return f"same labels {100 * (ours == theirs).mean():.2f}%"


def _pair(make, key, shape, with_predict=True, repeat=3):
    def make_fitted():
        d = make()
        d["ours"], d["peer"] = _fit_ours(d), _fit_peer(d)
        return d

    fit_data = lambda: cached(key, make)  # noqa: E731
    cases = [Case("svm", "SVC rbf fit", shape, "scikit-learn", fit_data,
                  _fit_ours, _fit_peer, _fit_agreement, repeat=repeat)]
    if with_predict:
        cases.append(Case("svm", "SVC rbf predict", shape, "scikit-learn",
                          lambda: cached(key + "-fitted", make_fitted),
                          lambda d: d["ours"].predict(d["X"]),
                          lambda d: d["peer"].predict(d["X"]), _predict_agreement))
    return cases


def cases(size):
    """Return this family's cases at ``size``, "full" or "quick"."""
    if size == "quick":
        return (_pair(_digits, "digits", "1437x64 digits")
                + _pair(lambda: _hard(2500), "hard2500", "2500x50 hard (80% train)")
                + _svr_cases(_diabetes, "diabetes", "442x10 diabetes (80% train)"))
    out = _pair(_digits, "digits", "1437x64 digits")
    out += _pair(lambda: _hard(20_000), "hard20000", "20000x50 hard (80% train)")
    for n in (5_000, 10_000, 50_000):      # growth of fit time with n
        out += _pair(lambda n=n: _hard(n), f"hard{n}", f"{n}x50 hard (80% train)",
                     with_predict=False, repeat=1)
    out += _svr_cases(_diabetes, "diabetes", "442x10 diabetes (80% train)")
    out += _svr_cases(lambda: _regression(10_000), "regression10000",
                      "10000x20 regression (80% train)")
    return out
