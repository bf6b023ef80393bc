"""gdcore._sklearn_compat on the installed scikit-learn (CI runs it on 1.6 and the latest)."""

import inspect
import logging
import pathlib
import re
from numbers import Integral, Real

import numpy as np
import pytest
import sklearn
from sklearn import linear_model, svm
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_iris

import gdcore
from gdcore import _sklearn_compat as compat
from gdcore._fallback import PeerFallbackMixin


def test_version_parsing():
    assert compat._release("1.6.1") == (1, 6)
    assert compat._release("1.10.dev0") == (1, 10)
    assert compat.SKLEARN_VERSION == compat._release(sklearn.__version__)
    assert compat.sklearn_version_at_least("1.6")
    assert not compat.sklearn_version_at_least("99.0")


def test_parameter_constraints_validate():
    class Est(BaseEstimator):
        _parameter_constraints = {
            "a": [compat.Interval(Integral, 1, None, closed="left")],
            "b": [compat.StrOptions({"x", "y"}), compat.Hidden(compat.StrOptions({"z"}))],
            "c": [compat.Interval(Real, 0, 1, closed="both")],
        }

        def __init__(self, a=1, b="x", c=0.5):
            self.a, self.b, self.c = a, b, c

    Est(a=2, b="z", c=1.0)._validate_params()
    with pytest.raises(ValueError, match="'a' parameter"):
        Est(a=0)._validate_params()
    with pytest.raises(ValueError, match="'b' parameter"):
        Est(b="w")._validate_params()


def test_check_sample_weight_accepts_every_release_keyword():
    X = np.ones((3, 2))
    sw = compat._check_sample_weight(np.zeros(3), X, dtype=np.float64,
                                     allow_all_zero_weights=True)
    np.testing.assert_array_equal(sw, np.zeros(3))
    np.testing.assert_array_equal(compat._check_sample_weight(None, X), np.ones(3))
    with pytest.raises(ValueError, match="Negative values"):
        compat._check_sample_weight([1.0, -1.0, 1.0], X, ensure_non_negative=True)
    # all-zero weights are refused unless allowed, on every release (1.6 accepted them)
    with pytest.raises(ValueError, match="at least one non-zero"):
        compat._check_sample_weight(np.zeros(3), X)


def test_ovr_decision_function_and_partial_fit_first_call():
    # three classes, one-vs-one pairs (0,1), (0,2), (1,2): row 0 votes class 0 twice
    predictions = np.array([[0, 0, 1]])
    confidences = np.array([[1.0, 1.0, 0.5]])
    scores = compat._ovr_decision_function(predictions, confidences, 3)
    assert scores.shape == (1, 3) and scores.argmax() == 0

    class Clf:
        pass

    clf = Clf()
    assert compat._check_partial_fit_first_call(clf, classes=[0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert not compat._check_partial_fit_first_call(clf)


def test_callbacks_exist_from_1_9():
    if compat.sklearn_version_at_least("1.9"):
        assert compat.CallbackSupportMixin is not None
        assert callable(compat.callback_management_context)
    else:
        assert compat.CallbackSupportMixin is None
        assert compat.callback_management_context is None


@pytest.mark.parametrize("max_samples", [None, 3, 0.5])
def test_forest_bootstrap_size_follows_the_installed_release(max_samples):
    expected = {None: 100, 3: 3, 0.5: 50}[max_samples]
    assert compat.forest_bootstrap_size(100, max_samples) == expected


def test_forest_bootstrap_size_above_n_samples():
    if compat.sklearn_version_at_least("1.9"):
        assert compat.forest_bootstrap_size(6, 10**9) == 10**9
    else:  # 1.6's rule: an int above n_samples is an error
        with pytest.raises(ValueError, match="must be <= n_samples=6"):
            compat.forest_bootstrap_size(6, 10**9)


def test_no_private_sklearn_import_outside_the_compat_module():
    root = pathlib.Path(gdcore.__file__).parent
    private = re.compile(r"^\s*from sklearn[\w.]*\._|^\s*from sklearn[\w.]* import .*\b_[a-z]",
                         re.MULTILINE)
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if path.name != "_sklearn_compat.py" and "tests" not in path.parts
                 and private.search(path.read_text())]
    assert offenders == []


# ---------------------------------------------- constructors of the installed release
def _peer_defaults(peer):
    return {name: p.default for name, p in inspect.signature(peer.__init__).parameters.items()
            if name != "self"}


@pytest.mark.parametrize("name", sorted(
    n for n in gdcore.__all__
    if isinstance(getattr(gdcore, n), type) and getattr(getattr(gdcore, n), "_peer_class", None)))
def test_every_peer_parameter_is_accepted_with_its_default(name):
    cls = getattr(gdcore, name)
    module, _, peer_name = cls._peer_class.rpartition(".")
    peer = getattr(__import__(module, fromlist=[peer_name]), peer_name)
    params = cls().get_params()
    for param, default in _peer_defaults(peer).items():
        assert param in params, param
        assert repr(params[param]) == repr(default), param
    assert clone(cls()).get_params().keys() == params.keys()


def test_logistic_regression_has_the_installed_release_constructor():
    params = gdcore.LogisticRegression().get_params()
    assert {k: params[k] for k in ("penalty", "l1_ratio")} == {
        k: _peer_defaults(linear_model.LogisticRegression)[k] for k in ("penalty", "l1_ratio")}
    assert ("multi_class" in params) == ("multi_class" in _peer_defaults(
        linear_model.LogisticRegression))
    if compat.SKLEARN_VERSION >= compat.SIGNATURES_FOLLOW:
        # the latest release: the class's own constructor, untouched
        assert not hasattr(gdcore.LogisticRegression.__init__, "__wrapped__")
        assert params["penalty"] == "deprecated" and params["l1_ratio"] == 0.0


def test_svc_probability_default_is_the_installed_release_one():
    assert gdcore.SVC().get_params()["probability"] == _peer_defaults(svm.SVC)["probability"]


class _Peer(BaseEstimator):
    def __init__(self, a=1, *, b="new", old=None):
        self.a, self.b, self.old = a, b, old


class _OlderPeerModule:
    Peer = _Peer


def _follow(monkeypatch):
    """Return a class written for the latest release whose peer is an older release's."""
    # the older peer: b's default has since changed, ``old`` has since been removed
    import sys
    monkeypatch.setitem(sys.modules, "_compat_fake_peer", _OlderPeerModule)
    monkeypatch.setattr(compat, "SKLEARN_VERSION", (1, 6))

    class Est(PeerFallbackMixin, BaseEstimator):
        _peer_class = "_compat_fake_peer.Peer"

        def __init__(self, a=1, *, b="latest", own=0):
            self.a, self.b, self.own = a, b, own

        def _fallback_reason(self, X, y=None, **fit_params):
            return "own" if self.own else None

    return Est


def test_follow_installed_peer_on_an_older_release(monkeypatch):
    Est = _follow(monkeypatch)
    assert Est().get_params() == {"a": 1, "b": "new", "own": 0, "old": None}
    est = Est(2, old="x", own=1)
    assert (est.a, est.b, est.old, est.own) == (2, "new", "x", 1)
    assert clone(est).get_params() == est.get_params()
    assert est.set_params(old=None).old is None
    with pytest.raises(TypeError):
        Est(unknown=1)


def test_a_removed_parameter_not_at_its_default_falls_back(monkeypatch):
    Est = _follow(monkeypatch)
    assert Est()._fallback_reason(None) is None
    assert Est(own=1)._fallback_reason(None) == "own"
    assert Est(old="x")._fallback_reason(None).startswith("old='x'")


def test_follow_installed_peer_leaves_the_latest_release_alone(monkeypatch):
    monkeypatch.setattr(compat, "SKLEARN_VERSION", compat.SIGNATURES_FOLLOW)

    class Est(PeerFallbackMixin, BaseEstimator):
        _peer_class = "sklearn.linear_model.LogisticRegression"

        def __init__(self, C=2.0):
            self.C = C

    assert Est().get_params() == {"C": 2.0}
    assert "__wrapped__" not in vars(Est.__init__)


def test_multi_class_is_served_by_the_peer_where_it_exists(caplog):
    if "multi_class" not in _peer_defaults(linear_model.LogisticRegression):
        pytest.skip("scikit-learn >= 1.8 has no multi_class")
    X, y = load_iris(return_X_y=True)
    with caplog.at_level(logging.DEBUG, logger="gdcore"), pytest.warns(FutureWarning):
        ours = gdcore.LogisticRegression(multi_class="ovr", max_iter=500).fit(X, y)
    with pytest.warns(FutureWarning):
        theirs = linear_model.LogisticRegression(multi_class="ovr", max_iter=500).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
    assert "multi_class='ovr'" in caplog.text


def test_num_samples_and_kneighbors_mixin():
    import scipy.sparse as sp
    from sklearn.neighbors import KNeighborsClassifier

    assert compat._num_samples(np.ones((4, 2))) == 4
    assert compat._num_samples(sp.csr_matrix((5, 3))) == 5
    assert compat._num_samples([[1], [2]]) == 2
    # scikit-learn's own k-neighbours estimator is one, and so is gdcore's
    assert isinstance(KNeighborsClassifier(), compat.KNeighborsMixin)
    assert isinstance(gdcore.KNeighborsClassifier(), compat.KNeighborsMixin)


def test_hist_bin_thresholds_are_the_installed_releases():
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper

    rng = np.random.RandomState(0)
    X = rng.standard_normal((500, 3))
    X[::7, 1] = np.nan
    X[:, 2] = np.round(X[:, 2])  # few distinct values: their midpoints
    mapper = _BinMapper(n_bins=32).fit(X)
    for f in range(3):
        np.testing.assert_array_equal(compat.hist_bin_thresholds(X[:, f], 31),
                                      mapper.bin_thresholds_[f])
    assert compat.hist_bin_thresholds(np.full(4, np.nan), 31).shape == (0,)
    assert compat.hist_bin_thresholds(np.ones(4), 31).shape == (0,)


def test_hist_bin_subsample_draws_as_the_installed_release():
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper

    X = np.random.RandomState(0).standard_normal((300, 1))
    mapper = _BinMapper(n_bins=16, subsample=100, random_state=3).fit(X)
    rows = compat.hist_bin_subsample(np.random.RandomState(3), 300, 100)
    assert rows.shape == (100,)
    np.testing.assert_array_equal(compat.hist_bin_thresholds(X[rows, 0], 15),
                                  mapper.bin_thresholds_[0])
    if compat.SKLEARN_VERSION == (1, 6):
        assert len(np.unique(rows)) == 100  # 1.6 draws without replacement


def test_added_parameters_are_documented():
    """A parameter follow_installed_peer adds gets its numpydoc entry in Parameters."""
    from gdcore._sklearn_compat import _document_added

    doc = ("Summary.\n\n    Parameters\n    ----------\n    C : float, default=1.0\n"
           "        Inverse.\n\n    Attributes\n    ----------\n    coef_ : ndarray\n"
           "        Coefs.\n")
    out = _document_added(doc, {"multi_class": "deprecated"})
    params, attrs = out.split("    Attributes\n")
    assert "    multi_class : object, default='deprecated'\n" in params
    assert "multi_class" not in attrs
    assert _document_added("No sections.", {"x": 1}) == "No sections."
