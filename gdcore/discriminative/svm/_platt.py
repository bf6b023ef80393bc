"""Probabilities for SVC as libsvm computes them.

- ``fit_platt``: for each class pair, decision values from an internal 5-fold
  cross-validation (libsvm's svm_binary_svc_probability), then the sigmoid
  1 / (1 + exp(A f + B)) fitted to them by Newton's method with backtracking
  (Platt 2000, as improved by Lin, Lin and Weng, Machine Learning 68, 2007).
- ``pair_proba`` / ``coupled_proba``: pairwise probabilities clipped to
  [1e-7, 1 - 1e-7] and coupled into class probabilities by method 2 of Wu,
  Lin and Weng (JMLR 5, 2004), vectorized over the test rows.
"""

import numpy as np

from gdcore.discriminative.svm._base import kernel_matrix
from gdcore.discriminative.svm._multiclass import class_pairs

N_FOLDS = 5
MIN_PROB = 1e-7


def fit_platt(est, Xk, rows, n_pos, bounds, n_threads, share, seed):
    """Return (A, B) of the sigmoid for the pair on ``rows`` (the first n_pos are +1)."""
    n = len(rows)
    labels = np.where(np.arange(n) < n_pos, 1.0, -1.0)
    perm = np.random.RandomState(seed).permutation(n)
    dec = np.zeros(n)
    precomputed = est._kernel_name() == "precomputed"
    for fold in range(N_FOLDS):
        test = perm[fold * n // N_FOLDS:(fold + 1) * n // N_FOLDS]
        train = np.sort(np.setdiff1d(perm, test))
        n_pos_train = int(np.count_nonzero(train < n_pos))
        if n_pos_train == 0 or n_pos_train == len(train):
            # One class left in training: libsvm answers its sign (0 if empty).
            dec[test] = 0.0 if len(train) == 0 else (1.0 if n_pos_train else -1.0)
            continue
        _, coef, rho, _, _ = est._solve_binary(
            Xk, rows[train], n_pos_train, bounds, est.cache_size * 2**20 * share, n_threads)
        if precomputed:
            K = Xk[np.ix_(rows[test], rows[train])]
        else:
            K = kernel_matrix(Xk[rows[test]], Xk[rows[train]], est._kernel_name(),
                              est._gamma, est.coef0, est.degree)
        dec[test] = K @ coef - rho
    return sigmoid_train(dec, labels)


def _sigmoid_loss(f, t, A, B):
    z = f * A + B
    # t z + log(1 + exp(-z)), written to be stable for either sign of z.
    return np.sum(np.where(z >= 0, t * z + np.log1p(np.exp(-np.abs(z))),
                           (t - 1) * z + np.log1p(np.exp(-np.abs(z)))))


def sigmoid_train(f, labels):
    """Libsvm's sigmoid_train: Newton with backtracking on the regularized targets."""
    prior1 = float(np.count_nonzero(labels > 0))
    prior0 = len(labels) - prior1
    t = np.where(labels > 0, (prior1 + 1) / (prior1 + 2), 1 / (prior0 + 2))
    A, B = 0.0, np.log((prior0 + 1) / (prior1 + 1))
    fval = _sigmoid_loss(f, t, A, B)
    for _ in range(100):
        z = f * A + B
        q = 1.0 / (1.0 + np.exp(-np.abs(z)))   # the larger of P(+) and P(-)
        p = np.where(z >= 0, 1.0 - q, q)        # P(y = +1) = 1 / (1 + exp(z))
        d2 = p * (1.0 - p)
        h11 = 1e-12 + np.dot(f * f, d2)
        h22 = 1e-12 + d2.sum()
        h21 = np.dot(f, d2)
        d1 = t - p
        g1, g2 = np.dot(f, d1), d1.sum()
        if abs(g1) < 1e-5 and abs(g2) < 1e-5:
            break
        det = h11 * h22 - h21 * h21
        dA = -(h22 * g1 - h21 * g2) / det
        dB = -(-h21 * g1 + h11 * g2) / det
        gd = g1 * dA + g2 * dB
        step = 1.0
        while step >= 1e-10:
            newA, newB = A + step * dA, B + step * dB
            newf = _sigmoid_loss(f, t, newA, newB)
            if newf < fval + 1e-4 * step * gd:
                A, B, fval = newA, newB, newf
                break
            step /= 2.0
        if step < 1e-10:
            break
    return A, B


def pair_proba(dec, probA, probB):
    """P(first class of the pair) for each row and pair, clipped as libsvm does."""
    z = dec * probA[None, :] + probB[None, :]
    e = np.exp(-np.abs(z))
    r = np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
    return np.clip(r, MIN_PROB, 1.0 - MIN_PROB)


def coupled_proba(r, n_classes, present=None):
    """Class probabilities (n, k) from the pairwise ones (Wu, Lin and Weng, method 2).

    ``present`` (a mask of the classes, default all) leaves out classes that
    had no training row of positive weight: libsvm drops their rows, so its
    model has no such class, and their probability is 0; the others are
    coupled from the pairs among themselves.
    """
    n = r.shape[0]
    if present is not None and not present.all():
        keep = [p for p, (a, b) in enumerate(class_pairs(n_classes))
                if present[a] and present[b]]
        prob = np.zeros((n, n_classes))
        prob[:, present] = coupled_proba(r[:, keep], int(present.sum()))
        return prob
    if n_classes == 2:
        return np.column_stack([r[:, 0], 1.0 - r[:, 0]])
    R = np.zeros((n, n_classes, n_classes))   # R[:, a, b] = P(a | a or b)
    for p, (a, b) in enumerate(class_pairs(n_classes)):
        R[:, a, b] = r[:, p]
        R[:, b, a] = 1.0 - r[:, p]
    Q = -R.transpose(0, 2, 1) * R
    idx = np.arange(n_classes)
    Q[:, idx, idx] = (R.transpose(0, 2, 1) ** 2).sum(axis=2)
    prob = np.full((n, n_classes), 1.0 / n_classes)
    eps = 0.005 / n_classes
    rows = np.arange(n)        # rows still iterating: each stops on its own test
    for _ in range(max(100, n_classes)):
        Qr, p = Q[rows], prob[rows]
        Qp = np.einsum("nij,nj->ni", Qr, p)
        pQp = np.einsum("ni,ni->n", p, Qp)
        going = np.abs(Qp - pQp[:, None]).max(axis=1) >= eps
        if not going.any():
            break
        rows, Qr, p, Qp, pQp = rows[going], Qr[going], p[going], Qp[going], pQp[going]
        for t in range(n_classes):
            diff = (-Qp[:, t] + pQp) / Qr[:, t, t]
            p[:, t] += diff
            scale = 1.0 + diff
            pQp = (pQp + diff * (diff * Qr[:, t, t] + 2 * Qp[:, t])) / scale**2
            Qp = (Qp + diff[:, None] * Qr[:, t, :]) / scale[:, None]
            p /= scale[:, None]
        prob[rows] = p
    return prob
