"""SVC and SVR against scikit-learn's (libsvm) and scikit-learn-intelex's (oneDAL).

Rbf kernel, C=1.  Full sizes are the README's: make_classification(20000,
50, flip_y=0.1, random_state=0) (many support vectors, a hard problem) and
digits, plus the growth of fit time from 5,000 to 50,000 rows of the same
generator (the rows 5000, 10000, 20000 and 50000 of the table are the
scaling table).  The headline fits are timed 3 times (median); the growth
fits once: the 50,000-row libsvm fit alone takes minutes.
Train/test split 80/20; predict runs on the test rows (4,000 of the 20,000);
agreement reports support vectors and test accuracy on both sides.
scikit-learn-intelex (``sklearnex.svm.SVC``, not patched into scikit-learn)
is timed on digits, 20,000 and 50,000 rows; it is imported where its cases
run, so that a missing package skips only those rows.  ``growth_cases``
grows the training rows 2,500 -> 10,000 -> 40,000 -> 80,000 against it, for
``gdcore bench --growth``.  Quick runs use digits and a 2,000-row problem.  SVR (rbf,
C=1, epsilon=0.1, standardized target) is timed on diabetes and on
make_regression(10000, 20, noise=20, random_state=0); agreement reports
support vectors and test R^2; its fit and predict are also timed against
scikit-learn-intelex's SVR.  Sparse input: SVC rbf fit and predict on a
TF-IDF matrix (scikit-learn's TfidfVectorizer, l2 rows) of documents drawn
locally from a Zipf vocabulary, 5 topics each favouring its own words
(``_tfidf``), against scikit-learn's sparse SVC: 2,000 documents quick,
8,000 full, 20,000 words.
"""

import warnings

import numpy as np
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


def _tfidf(n_docs, vocab=20_000, n_topics=5, seed=0):
    """TF-IDF rows (CSR) of n_docs generated documents and their topics.

    Words follow a Zipf law (exponent 1.1) over the vocabulary; a topic
    draws one word in twenty from its own Zipf-ordered shuffle of the
    vocabulary, the rest from the shared one (test accuracy ~84%, most
    training rows support vectors); lengths are 20 + Poisson(60).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(seed)
    zipf = 1.0 / np.arange(1, vocab + 1) ** 1.1
    zipf /= zipf.sum()
    orders = [np.arange(vocab)] + [rng.permutation(vocab) for _ in range(n_topics)]
    y = rng.integers(n_topics, size=n_docs)
    docs = []
    for topic in y:
        n = 20 + rng.poisson(60)
        own = rng.random(n) < 0.05
        ranks = rng.choice(vocab, size=n, p=zipf)
        words = np.where(own, orders[1 + topic][ranks], orders[0][ranks])
        docs.append(" ".join(f"w{w}" for w in words))
    X = TfidfVectorizer().fit_transform(docs).tocsr()
    return split_train_test(X, y)


def _sparse_pair(n_docs):
    key, shape = f"tfidf{n_docs}", f"{n_docs} docs x 20000 words TF-IDF (CSR, 80% train)"

    def make_fitted():
        d = dict(cached(key, lambda: _tfidf(n_docs)))
        d["ours"], d["peer"] = _fit_ours(d), _fit_peer(d)
        return d

    return [Case("svm", "SVC rbf fit sparse", shape, "scikit-learn",
                 lambda: cached(key, lambda: _tfidf(n_docs)), _fit_ours, _fit_peer,
                 _fit_agreement),
            Case("svm", "SVC rbf predict sparse", shape, "scikit-learn",
                 lambda: cached(key + "-fitted", make_fitted),
                 lambda d: d["ours"].predict(d["Xt"]),
                 lambda d: d["peer"].predict(d["Xt"]), _predict_agreement)]


def _svr_cases(make, key, shape):
    def agreement(ours, theirs, d):
        return (f"SV {len(ours.support_)} vs {len(theirs.support_)}, test R^2 "
                f"{ours.score(d['Xt'], d['yt']):.4f} vs {theirs.score(d['Xt'], d['yt']):.4f}")

    def ours(d):
        return gdcore.SVR(kernel="rbf", C=1.0).fit(d["X"], d["y"])

    def intelex(d):
        from sklearnex.svm import SVR as IntelexSVR  # a bench-only peer

        return IntelexSVR(kernel="rbf", C=1.0).fit(d["X"], d["y"])

    def fitted():
        d = dict(cached(key, make))
        d["ours"], d["intelex"] = ours(d), intelex(d)
        return d

    data = lambda: cached(key, make)  # noqa: E731
    return [Case("svm", "SVR rbf fit", shape, "scikit-learn", data, ours,
                 lambda d: sk.SVR(kernel="rbf", C=1.0).fit(d["X"], d["y"]), agreement),
            Case("svm", "SVR rbf fit", shape, "scikit-learn-intelex", data, ours, intelex,
                 agreement),
            Case("svm", "SVR rbf predict", shape, "scikit-learn-intelex",
                 lambda: cached(key + "-fitted-intelex", fitted),
                 lambda d: d["ours"].predict(d["Xt"]), lambda d: d["intelex"].predict(d["Xt"]),
                 lambda ours, theirs, d: f"max |dy| {np.abs(ours - theirs).max():.1e}")]


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


def _fit_intelex(d):
    from sklearnex.svm import SVC as IntelexSVC

    return IntelexSVC(kernel="rbf", C=1.0).fit(d["X"], d["y"])


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
                          lambda d: d["ours"].predict(d["Xt"]),
                          lambda d: d["peer"].predict(d["Xt"]), _predict_agreement))
    return cases


def _intelex_pair(make, key, shape, with_predict=True, repeat=3):
    """SVC fit (and predict) against scikit-learn-intelex on the data of ``_pair``."""
    def make_fitted():
        d = dict(cached(key, make))
        d["ours"], d["intelex"] = _fit_ours(d), _fit_intelex(d)
        return d

    cases = [Case("svm", "SVC rbf fit", shape, "scikit-learn-intelex",
                  lambda: cached(key, make), _fit_ours, _fit_intelex, _fit_agreement,
                  repeat=repeat)]
    if with_predict:
        cases.append(Case("svm", "SVC rbf predict", shape, "scikit-learn-intelex", make_fitted,
                          lambda d: d["ours"].predict(d["Xt"]),
                          lambda d: d["intelex"].predict(d["Xt"]), _predict_agreement))
    return cases


def _train_rows(n):
    """make_classification of n / 0.8 rows, of which the first n train."""
    return _hard(n * 5 // 4)


def growth_cases():
    """SVC rbf fit on 2,500 -> 80,000 training rows x 50, against scikit-learn-intelex.

    One Case per size (``Case.size`` = training rows); ``gdcore bench
    --growth`` runs each once per side in a fresh process and fits the
    time exponent.
    """
    return [Case("svm", "SVC rbf fit", f"{n}x50 hard", "scikit-learn-intelex",
                 lambda n=n: _train_rows(n), _fit_ours, _fit_intelex, _fit_agreement,
                 repeat=1, min_seconds=0, size=n)
            for n in (2_500, 10_000, 40_000, 80_000)]


def cases(size):
    """Return this family's cases at ``size``, "full" or "quick"."""
    if size == "quick":
        return (_pair(_digits, "digits", "1437x64 digits")
                + _intelex_pair(_digits, "digits", "1437x64 digits")
                + _pair(lambda: _hard(2500), "hard2500", "2500x50 hard (80% train)")
                + _intelex_pair(lambda: _hard(2500), "hard2500", "2500x50 hard (80% train)")
                + _svr_cases(_diabetes, "diabetes", "442x10 diabetes (80% train)")
                + _sparse_pair(2_000))
    out = _pair(_digits, "digits", "1437x64 digits")
    out += _intelex_pair(_digits, "digits", "1437x64 digits")
    out += _pair(lambda: _hard(20_000), "hard20000", "20000x50 hard (80% train)")
    out += _intelex_pair(lambda: _hard(20_000), "hard20000", "20000x50 hard (80% train)")
    for n in (5_000, 10_000, 50_000):      # growth of fit time with n
        out += _pair(lambda n=n: _hard(n), f"hard{n}", f"{n}x50 hard (80% train)",
                     with_predict=False, repeat=1)
    out += _intelex_pair(lambda: _hard(50_000), "hard50000", "50000x50 hard (80% train)",
                         with_predict=False, repeat=1)
    out += _svr_cases(_diabetes, "diabetes", "442x10 diabetes (80% train)")
    out += _svr_cases(lambda: _regression(10_000), "regression10000",
                      "10000x20 regression (80% train)")
    out += _sparse_pair(8_000)
    return out
