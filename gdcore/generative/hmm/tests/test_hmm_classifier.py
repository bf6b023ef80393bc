"""HMMClassifier: one HMM per class, Bayes' rule over whole sequences."""

import pickle

import numpy as np
import pytest
from hmmlearn import hmm as hl
from sklearn.base import clone

from gdcore import CategoricalHMM, GaussianHMM, HMMClassifier


def _dice_hmm(p_stay_loaded, seed):
    """Build the occasionally dishonest casino (Durbin et al.).

    Fair and loaded dice, the loaded one throwing a six half the time;
    ``p_stay_loaded`` sets how long the casino keeps the loaded die once it switches.
    """
    m = CategoricalHMM(2, n_features=6, random_state=seed)
    m.startprob_ = np.array([0.9, 0.1])
    m.transmat_ = np.array([[0.95, 0.05], [1 - p_stay_loaded, p_stay_loaded]])
    m.emissionprob_ = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])
    return m


def _casinos(n_per_class, length, seed):
    """Draw sequences from an honest-ish casino and a crooked one.

    The honest-ish casino (label 'honest') rarely keeps the loaded die, the
    crooked one (label 'crooked') keeps it long.
    """
    honest = _dice_hmm(0.1, seed).sample_sequences(n_per_class, length)[0]
    crooked = _dice_hmm(0.9, seed + 1).sample_sequences(n_per_class, length)[0]
    X = np.vstack([honest, crooked])
    y = np.array(["honest"] * n_per_class + ["crooked"] * n_per_class)
    return X, y, np.full(2 * n_per_class, length)


def test_tells_the_crooked_casino_from_the_honest_one():
    X, y, lengths = _casinos(40, 300, seed=0)
    X_test, y_test, lengths_test = _casinos(40, 300, seed=10)
    clf = HMMClassifier(CategoricalHMM(2, n_iter=30), random_state=0)
    clf.fit(X, y, lengths)
    assert list(clf.classes_) == ["crooked", "honest"]
    np.testing.assert_allclose(clf.class_prior_, [0.5, 0.5])
    assert clf.score(X_test, y_test, lengths_test) >= 0.95
    proba = clf.predict_proba(X_test, lengths_test)
    assert proba.shape == (80, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_bayes_rule_over_each_class_model_one_sequence_at_a_time():
    X, y, lengths = _casinos(10, 50, seed=1)
    clf = HMMClassifier(CategoricalHMM(2, n_iter=5), priors=[0.3, 0.7],
                        random_state=0).fit(X, y, lengths)
    jll = clf.predict_joint_log_proba(X, lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    for s in (0, 7, 19):
        seq = X[offsets[s]:offsets[s + 1]]
        expected = [m.score(seq) + np.log(p) for m, p in zip(clf.hmms_, [0.3, 0.7])]
        np.testing.assert_allclose(jll[s], expected, rtol=1e-10)
    log_proba = clf.predict_log_proba(X, lengths)
    np.testing.assert_allclose(np.exp(log_proba), clf.predict_proba(X, lengths))
    np.testing.assert_allclose(
        clf.score_samples(X, lengths), np.logaddexp(jll[:, 0], jll[:, 1]), rtol=1e-12)


def test_equals_one_hmmlearn_model_per_class():
    """Match hmmlearn's GaussianHMM fitted per class.

    From the same starting parameters, each class's Baum-Welch and the final
    posteriors equal hmmlearn's.
    """
    rng = np.random.RandomState(0)
    lengths = rng.randint(20, 60, size=30)
    y = np.repeat([0, 1, 2], 10)
    shift = np.repeat(y, lengths)[:, None]
    X = rng.randn(lengths.sum(), 3) + 0.5 * shift
    start = dict(startprob_=np.array([0.6, 0.4]),
                 transmat_=np.array([[0.8, 0.2], [0.3, 0.7]]),
                 means_=np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]),
                 covars_=np.ones((2, 3)))
    template = GaussianHMM(2, covariance_type="diag", n_iter=5, init_params="")
    for name, value in start.items():
        setattr(template, name, value)
    clf = HMMClassifier(template, random_state=0).fit(X, y, lengths)
    frame_y = np.repeat(y, lengths)
    jll = []
    for c in range(3):
        peer = hl.GaussianHMM(2, covariance_type="diag", n_iter=5, init_params="")
        for name, value in start.items():
            setattr(peer, name, value.copy())
        peer.fit(X[frame_y == c], lengths[y == c])
        np.testing.assert_allclose(clf.hmms_[c].means_, peer.means_, rtol=1e-8)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        jll.append([peer.score(X[a:b]) for a, b in zip(offsets[:-1], offsets[1:])])
    jll = np.array(jll).T + np.log(1 / 3)
    np.testing.assert_allclose(clf.predict_joint_log_proba(X, lengths), jll, rtol=1e-8)


def test_left_right_template_keeps_its_zeros_in_every_class():
    X, y, lengths = _casinos(6, 60, seed=4)
    template = CategoricalHMM(2, n_features=6, n_iter=5, init_params="e")
    template.startprob_ = np.array([1.0, 0.0])
    template.transmat_ = np.array([[0.9, 0.1], [0.0, 1.0]])
    clf = HMMClassifier(template, random_state=0).fit(X, y, lengths)
    for model in clf.hmms_:
        assert model.transmat_[1, 0] == 0.0 and model.startprob_[1] == 0.0
    np.testing.assert_array_equal(template.transmat_, [[0.9, 0.1], [0.0, 1.0]])


def test_default_model_is_a_diagonal_gaussian_hmm():
    rng = np.random.RandomState(1)
    lengths = np.full(12, 40)
    y = np.tile([0, 1], 6)
    X = rng.randn(480, 2) + 2.0 * np.repeat(y, 40)[:, None]
    clf = HMMClassifier(random_state=0).fit(X, y, lengths)
    assert all(isinstance(m, GaussianHMM) and m.covariance_type == "diag"
               for m in clf.hmms_)
    assert clf.score(X, y, lengths) == 1.0


def test_sample_draws_labelled_sequences_from_each_class_model():
    X, y, lengths = _casinos(20, 200, seed=2)
    clf = HMMClassifier(CategoricalHMM(2, n_iter=20), random_state=0).fit(X, y, lengths)
    Xs, ls, ys = clf.sample(30, 200, random_state=3)
    assert Xs.shape == (6000, 1) and ls.tolist() == [200] * 30 and ys.shape == (30,)
    assert set(ys) <= {"honest", "crooked"}
    # Sampled sequences are classified as the class that generated them.
    assert (clf.predict(Xs, ls) == ys).mean() >= 0.9
    Xc, _, yc = clf.sample(5, 300, y="crooked", random_state=4)
    assert (yc == "crooked").all()
    six_rate = (Xc == 5).mean()
    assert six_rate > 0.25, "the crooked casino throws many sixes"
    np.testing.assert_array_equal(clf.sample(4, 10, random_state=5)[0],
                                  clf.sample(4, 10, random_state=5)[0])


def test_clone_pickle_and_params():
    X, y, lengths = _casinos(5, 40, seed=3)
    clf = HMMClassifier(CategoricalHMM(2, n_iter=3), random_state=0)
    assert clone(clf).get_params()["hmm"].n_components == 2
    clf.fit(X, y, lengths)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X, lengths),
                                  clf.predict_proba(X, lengths))
    refit = clone(clf).fit(X, y, lengths)
    np.testing.assert_array_equal(refit.predict_proba(X, lengths),
                                  clf.predict_proba(X, lengths))


@pytest.mark.parametrize("labels, lengths, match", [
    (np.zeros(4), [10, 10, 10, 10], "at least 2 classes"),
    (np.arange(40) % 2, [10, 10, 10, 10], "one label per sequence"),
    (np.array([0, 1, 0, 1]), [10, 10, 20], "one label per sequence"),
    (np.array([0, 1, 0, 1]), [10, 10, 10, 5], "lengths sum to"),
    (np.array([0, 1, 0, 1]), [10, 10, 10, 0], "positive"),
    (np.array([[0, 1, 0, 1]]), [10, 10, 10, 10], "1-D"),
])
def test_bad_sequences_and_labels(labels, lengths, match):
    X = np.random.RandomState(0).randn(40, 2)
    with pytest.raises(ValueError, match=match):
        HMMClassifier().fit(X, labels, lengths)


def test_bad_model_priors_and_inputs():
    X = np.random.RandomState(0).randn(40, 2)
    y, lengths = np.array([0, 1, 0, 1]), [10] * 4
    with pytest.raises(ValueError, match="gdcore HMM"):
        HMMClassifier(hmm=hl.GaussianHMM()).fit(X, y, lengths)
    with pytest.raises(ValueError, match="priors"):
        HMMClassifier(priors=[0.2, 0.2]).fit(X, y, lengths)
    with pytest.raises(ValueError, match="Number of priors"):
        HMMClassifier(priors=[0.2, 0.3, 0.5]).fit(X, y, lengths)
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError):
        HMMClassifier().fit(bad, y, lengths)
    with pytest.raises(ValueError, match="Expected 2D array"):
        HMMClassifier().fit(X[:, 0], y, lengths)
    clf = HMMClassifier(GaussianHMM(2, n_iter=2), random_state=0).fit(X, y, lengths)
    with pytest.raises(ValueError):
        clf.predict(X[:, :1], lengths)
    with pytest.raises(ValueError, match="unknown class"):
        clf.sample(2, 5, y=7)
    with pytest.raises(ValueError):
        clf.sample(0, 5)
