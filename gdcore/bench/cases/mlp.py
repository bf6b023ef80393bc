"""Multi-layer perceptrons against scikit-learn's MLPClassifier.

Full size is the README's: MLPClassifier(hidden_layer_sizes=(256, 128)), 20
epochs of Adam (batch 200, scikit-learn's defaults otherwise) on
make_classification(50,000 x 64), trained on the first 80% and scored on the
rest, both sides on 2 threads (gdcore n_jobs=2; scikit-learn's BLAS held to 2
by threadpoolctl).  Two gdcore rows against the same scikit-learn fit: float64
(the like-for-like claim: same initial weights, same minibatches, so the same
accuracy) and float32 (gdcore's default).  Quick runs: 5 epochs on digits.

On a machine shared with other work, threads that spin at OpenMP barriers
while their partner is descheduled can dominate both sides' times; with
OMP_WAIT_POLICY=passive (gdcore's default unless the environment sets it
before Python starts) they sleep instead.  On one thread the float64 fits do
the same gemms as scikit-learn's, so they cost about the same; float32 ones
move half the bytes and cost less.
"""

import warnings

import numpy as np
import sklearn.neural_network as sk
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import gdcore
from gdcore.bench import Case, cached, split_train_test

N_THREADS = 2
PARAMS = dict(hidden_layer_sizes=(256, 128), random_state=0)
EPOCHS = {"full": 20, "quick": 5}


def _full():
    X, y = make_classification(n_samples=50_000, n_features=64, random_state=0)
    return split_train_test(np.ascontiguousarray(X), y)


def _digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    order = np.random.default_rng(0).permutation(len(y))
    return split_train_test(X[order], y[order])


def _fit_ours(dtype, epochs):
    def run(data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return gdcore.MLPClassifier(**PARAMS, max_iter=epochs, n_jobs=N_THREADS,
                                        dtype=dtype).fit(data["X"], data["y"])
    return run


def _fit_sklearn(epochs):
    def run(data):
        with threadpool_limits(limits=N_THREADS), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return sk.MLPClassifier(**PARAMS, max_iter=epochs).fit(data["X"], data["y"])
    return run


def _accuracy(ours, theirs, data):
    return (f"test acc {ours.score(data['Xt'], data['yt']):.4f} vs "
            f"{theirs.score(data['Xt'], data['yt']):.4f}, final loss "
            f"{ours.loss_:.5f} vs {theirs.loss_:.5f}")


def cases(size="full"):
    """Return this family's cases at ``size``, "full" or "quick"."""
    if size == "full":
        make, shape, repeat = (lambda: cached("neural-full", _full)), "50000x64", 1
    else:
        make, shape, repeat = (lambda: cached("neural-digits", _digits)), "digits", 3
    epochs = EPOCHS[size]
    return [
        Case("mlp", f"MLPClassifier(256,128) {epochs} epochs, {dtype}", shape,
             "scikit-learn float64", make, _fit_ours(dtype, epochs), _fit_sklearn(epochs),
             _accuracy, repeat=repeat)
        for dtype in ("float64", "float32")
    ]
