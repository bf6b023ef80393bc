"""One-vs-one multiclass SVC: the k(k-1)/2 binary duals and libsvm's layout.

libsvm (and so scikit-learn) groups the training rows by class, solves the
pair (a, b), a < b, with y = +1 for a and -1 for b on the rows of a followed
by those of b, and stores the answer as:

- ``support_``: the rows that are support vectors in any pair of their class,
  grouped by class, increasing within a class; ``n_support_`` per class;
- ``dual_coef_`` (k - 1, n_SV): the coefficient y alpha of a vector of class
  a in pair (a, b) sits in row b - 1, of a vector of class b in row a;
- ``intercept_``: -rho per pair, pairs in the order (0,1), (0,2), ..., (1,2), ...

The pairs' duals are solved in one kernel call (``smo_solve_many``, one pair
per OpenMP thread, each with its share of the cache).  ``solve_pairs`` runs
the per-pair Platt cross-validations on a thread pool (the solver releases
the GIL); a single pair gets every thread.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gdcore.discriminative.svm._base import Duals


def class_pairs(n_classes):
    return [(a, b) for a in range(n_classes) for b in range(a + 1, n_classes)]


def solve_pairs(solve_one, n_classes, n_threads):
    """Run ``solve_one(a, b, n_threads_each, share)`` for every pair, in parallel.

    ``share`` is the fraction of the cache each concurrent solve may use.
    """
    pairs = class_pairs(n_classes)
    if len(pairs) == 1 or n_threads == 1:
        return [solve_one(a, b, n_threads, 1.0) for a, b in pairs]
    workers = min(n_threads, len(pairs))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(solve_one, a, b, 1, 1.0 / workers) for a, b in pairs]
        return [f.result() for f in futures]


def ovo_duals(rows_of, bounds):
    """Build the C-SVC duals of every class pair (a, b), back to back (a ``Duals``).

    The rows of a (y = +1) then those of b (y = -1), p = -1, C = bounds.
    Built by array operations, not pair by pair: a Python loop over the
    k(k-1)/2 pairs is a visible share of a small multiclass fit (measured by
    `gdcore bench svm`, SVC rbf fit on digits).
    """
    pairs = class_pairs(len(rows_of))
    size_of = np.array([len(r) for r in rows_of])
    first, second = (np.array(side, dtype=np.intp) for side in zip(*pairs))
    sizes = size_of[first] + size_of[second]
    row_ptr = np.concatenate([[0], np.cumsum(sizes)])
    rows = np.concatenate([rows_of[c] for pair in pairs for c in pair])
    var_data = np.arange(row_ptr[-1]) - np.repeat(row_ptr[:-1], sizes)
    y = np.where(var_data < np.repeat(size_of[first], sizes), 1.0, -1.0)
    return Duals(rows, row_ptr, var_data, row_ptr, y, -np.ones(len(rows)), bounds[rows])


def one_sided_rhos(rows_of, rhos):
    """Rhos of the pairs where one class has no row of positive weight.

    libsvm drops such a class, so it never wins a vote; its pairs get a
    constant decision of +-1 (alpha is 0 there by the equality constraint)
    that votes for the class with rows, instead of the solver's infinite rho.
    """
    rhos = np.asarray(rhos, dtype=np.float64).copy()
    for p, (a, b) in enumerate(class_pairs(len(rows_of))):
        if len(rows_of[a]) == 0 or len(rows_of[b]) == 0:
            rhos[p] = float(len(rows_of[a]) == 0) - float(len(rows_of[b]) == 0)
    return rhos


def assemble_ovo(y_idx, n_classes, duals, alpha, pair_rhos):
    """Assemble libsvm's (support_, n_support_, dual_coef_, intercept_).

    From the pair solutions ``alpha`` of ``ovo_duals``' problems and their
    rhos, by array operations over all pairs at once.
    """
    n = len(y_idx)
    rows, coef = duals.rows, alpha * duals.y
    pair = np.repeat(np.arange(len(pair_rhos)), np.diff(duals.row_ptr))
    is_sv = np.zeros(n, dtype=bool)
    is_sv[rows[coef != 0]] = True
    # Grouped by class, increasing row within a class.
    order = np.lexsort((np.arange(n), y_idx))
    support = order[is_sv[order]]
    n_support = np.bincount(y_idx[support], minlength=n_classes).astype(np.int32)
    position = np.full(n, -1)
    position[support] = np.arange(len(support))
    keep = is_sv[rows]
    rows, coef, pair = rows[keep], coef[keep], pair[keep]
    a, b = np.array(class_pairs(n_classes), dtype=np.intp).reshape(-1, 2)[pair].T
    dual_coef = np.zeros((n_classes - 1, len(support)))
    dual_coef[np.where(y_idx[rows] == a, b - 1, a), position[rows]] = coef
    intercept = -np.asarray(pair_rhos, dtype=np.float64)
    return support, n_support, dual_coef, intercept


def pair_columns(n_classes):
    """(k, k - 1) int array: the pair index that dual_coef_ row r of class c's vectors feeds.

    Class c's coefficient in pair (c, o) sits in row o if o < c, else o - 1
    (see the module docstring), so row r stands for the other class
    o = r if r < c else r + 1.
    """
    index = {pair: p for p, pair in enumerate(class_pairs(n_classes))}
    return np.array([[index[min(c, o), max(c, o)] for o in range(n_classes) if o != c]
                     for c in range(n_classes)], dtype=np.intc)


def ovo_decision(K, dual_coef, intercept, n_support):
    """Libsvm's pairwise decision values (n, k(k-1)/2) from K(X, SV); > 0 votes for a."""
    n_classes = len(n_support)
    start = np.concatenate([[0], np.cumsum(n_support)])
    out = np.empty((K.shape[0], len(intercept)))
    for p, (a, b) in enumerate(class_pairs(n_classes)):
        sa = slice(start[a], start[a + 1])
        sb = slice(start[b], start[b + 1])
        out[:, p] = K[:, sa] @ dual_coef[b - 1, sa] + K[:, sb] @ dual_coef[a, sb] + intercept[p]
    return out


def ovo_vote(dec, n_classes):
    """Libsvm's vote: each pair's winner gets one; the first class wins ties."""
    votes = np.zeros((dec.shape[0], n_classes), dtype=np.int64)
    for p, (a, b) in enumerate(class_pairs(n_classes)):
        win_a = dec[:, p] > 0
        votes[:, a] += win_a
        votes[:, b] += ~win_a
    return votes.argmax(axis=1)


def ovo_coef(dual_coef, n_support, support_vectors):
    """Primal weights of each class pair (linear kernel): (k(k-1)/2, n_features).

    Pair (a, b)'s weights sum the support vectors of both classes, each
    times its coefficient in that pair (libsvm's dual_coef_ layout: row
    b - 1 holds class a's coefficients against b, row a class b's).
    """
    starts = np.concatenate([[0], np.cumsum(n_support)])
    rows = []
    for a in range(len(n_support)):
        sv_a = support_vectors[starts[a]:starts[a + 1]]
        for b in range(a + 1, len(n_support)):
            sv_b = support_vectors[starts[b]:starts[b + 1]]
            rows.append(dual_coef[b - 1, starts[a]:starts[a + 1]] @ sv_a
                        + dual_coef[a, starts[b]:starts[b + 1]] @ sv_b)
    return np.vstack(rows)
