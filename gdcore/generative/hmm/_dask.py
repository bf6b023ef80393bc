"""HMMs on a Dask collection: Baum-Welch statistics per partition, summed on the cluster.

Every partition of X holds whole sequences.  ``lengths`` says where they
are, in one of three forms:

- the usual 1-D array of sequence lengths for all of X (in memory): it is
  split at the partition boundaries, which must fall between sequences;
- a list with one array of lengths per partition;
- a Dask array of lengths with one chunk per partition of X.

A sequence that would straddle two partitions is a ValueError naming the
remedy (rechunk X at sequence boundaries); it is never cut silently.

Each EM iteration ships the current model (a few kB) to the workers, where
each partition runs the estimator's own compiled E-step (``_do_estep``:
forward-backward and the emission statistics) on its sequences; the
statistics (start, transition and emission sums, all O(K d^2)) are added in
a fixed tree and the M-step runs on the client with the estimator's own
``_do_mstep``.  The sequences are independent given the model, so the sums
equal the one-machine E-step's to rounding.

Initialization runs on the client with the estimator's own ``_initialize``
on the rows of X when it has at most ``INIT_SAMPLE_ROWS`` rows (so the fit
equals the in-memory fit from the same ``random_state``), else on that many
rows sampled uniformly; for the in-memory answer on larger X, set the
parameters and leave ``init_params`` empty.

``predict``, ``predict_proba`` (lazy Dask arrays), ``score`` (a float, or
per sequence a lazy Dask array), ``score_samples`` and ``decode`` (a float
and a lazy Dask array of posteriors or states) run partition by partition,
with ``lengths`` in the same forms; each partition is scored by the model's
own in-memory method, so the answers are the one-machine answers.
"""

import copy
import importlib
import operator

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from gdcore import _dask
from gdcore._threads import single_threaded_blas
from gdcore.generative.hmm._base import check_lengths

INIT_SAMPLE_ROWS = 100_000


def _split_message(i):
    return (f"sequence {i} of lengths is split across two partitions of X: each "
            "partition must hold whole sequences. Rechunk X at sequence boundaries, e.g. "
            "X.rechunk({0: sizes}) with sizes the summed lengths of the sequences of each "
            "partition, or pass lengths as a list with one array per partition.")


def sequence_blocks(X, lengths):
    """Per-partition lengths (delayed or in memory; None = one sequence) for X's partitions."""
    n = _dask.n_blocks(X)
    if lengths is None:
        if n > 1:
            raise ValueError(
                f"lengths=None means X is one sequence, but X has {n} partitions and a "
                "sequence cannot be split across partitions: pass lengths, or use one "
                "partition (X.rechunk({0: -1})).")
        return [None]
    if _dask.is_dask_collection(lengths):
        lengths = _dask.as_row_collection(lengths, "lengths")
        if _dask.n_blocks(lengths) != n:
            raise ValueError(f"lengths as a Dask array needs one chunk per partition of X "
                             f"({n}), got {_dask.n_blocks(lengths)}.")
        return _dask.row_blocks(lengths)
    if isinstance(lengths, (list, tuple)) and lengths and all(
            np.ndim(item) == 1 for item in lengths):
        if len(lengths) != n:
            raise ValueError(f"lengths per partition: {len(lengths)} arrays for {n} "
                             "partitions of X.")
        return [np.asarray(item) for item in lengths]
    sizes = _dask.block_sizes(X)
    if sizes is None:
        raise ValueError("X's partition sizes are unknown: pass lengths as a list with one "
                         "array of lengths per partition.")
    offsets = check_lengths(lengths, sum(sizes))
    lengths = np.diff(offsets)
    bounds = np.cumsum(sizes)[:-1]
    where = np.searchsorted(offsets, bounds)
    split = offsets[np.minimum(where, len(offsets) - 1)] != bounds
    if split.any():
        raise ValueError(_split_message(int(where[np.argmax(split)]) - 1))
    cuts = np.concatenate([[0], where, [len(lengths)]])
    return [lengths[a:b] for a, b in zip(cuts[:-1], cuts[1:])]


def _offsets(lengths, n_rows, part):
    try:
        return check_lengths(None if lengths is None else np.asarray(lengths), n_rows)
    except ValueError as exc:
        raise ValueError(f"partition {part} of X: {exc} Each partition must hold whole "
                         "sequences; rechunk X at sequence boundaries.") from None


def _validate(part, lengths, index, take, estimator):
    """(rows, CategoricalHMM's alphabet size or None, the rows ``take`` picks or None)."""
    est = copy.copy(estimator)
    X = est._validate_X(part, fitting=True)
    _offsets(lengths, len(X), index)
    # CategoricalHMM: the alphabet this partition's symbols need.
    sample = None if take is None else X if isinstance(take, bool) else X[take]
    return len(X), getattr(est, "n_features_", None), sample


def _e_step(part, lengths, index, estimator):
    X = estimator._validate_X(part, fitting=False)
    offsets = _offsets(lengths, len(X), index)
    return estimator._do_estep(X, offsets, estimator._n_threads())


def _add_stats(a, b):
    (sa, la), (sb, lb) = a, b
    out = {}
    for key, x in sa.items():
        y = sb[key]
        if (x is None) != (y is None) and key == "post_obs":
            # GaussianHMM: None means "no NaN in this partition", i.e. post per feature.
            x = np.broadcast_to(sa["post"][:, None], sa["obs"].shape) if x is None else x
            y = np.broadcast_to(sb["post"][:, None], sb["obs"].shape) if y is None else y
        out[key] = None if x is None else x + y
    return out, la + lb


def _takes(sizes):
    """Per block, the rows of the initialization sample: True (all) or sorted row numbers.

    Uniform without replacement: a block's share by a multivariate
    hypergeometric draw, its rows uniformly within it (fixed seed).
    """
    if sum(sizes) <= INIT_SAMPLE_ROWS:
        return [True] * len(sizes)
    rng = np.random.default_rng(0)
    counts = rng.multivariate_hypergeometric(np.asarray(sizes), INIT_SAMPLE_ROWS)
    return [np.sort(rng.choice(s, c, replace=False)) for s, c in zip(sizes, counts)]


@_dask.implements("BaseHMM.fit")
def fit(estimator, X, lengths=None):
    """Baum-Welch on a Dask collection of sequences (see the module docstring)."""
    est = estimator
    est._base_params_check()
    X = _dask.as_row_collection(X)
    seq = sequence_blocks(X, lengths)
    _dask.set_feature_metadata(est, X)
    # Persisted for the fit when X fits in the workers' memory: EM reads it every iteration.
    passes = _dask.BlockPasses((X, lengths), _dask.nbytes(X), X=_dask.row_blocks(X), seq=seq)
    index = list(range(passes.n))
    sizes = _dask.block_sizes(X)
    # One pass validates every block and, when the block sizes are known,
    # brings back the initialization sample too.
    takes = [None] * passes.n if sizes is None else _takes(sizes)
    checked = passes.results(_validate, ("X", "seq"), copy.copy(est),
                             each=list(zip(index, takes)))
    sizes = [n for n, _, _ in checked]
    if checked[0][1] is not None:
        est.n_features_ = max(m for _, m, _ in checked)
    est._check_size(sum(sizes), _dask.n_columns(X))
    if takes[0] is None:
        checked = passes.results(_validate, ("X", "seq"), copy.copy(est),
                                 each=list(zip(index, _takes(sizes))))
    sample = np.concatenate([rows for _, _, rows in checked])
    names = ("startprob_", "transmat_") + tuple(est._emission_param_names)
    if est.n_init == 1:
        seeds = [est.random_state]
    else:
        seeds = check_random_state(est.random_state).randint(np.iinfo(np.int32).max,
                                                             size=est.n_init)
    monitor = est.monitor_
    if getattr(monitor, "_follows_params", False):
        monitor.tol, monitor.n_iter, monitor.verbose = est.tol, est.n_iter, est.verbose
    start = {n: getattr(est, n) for n in names if hasattr(est, n)}
    best, best_lp = None, -np.inf
    for seed in seeds:
        for n, v in start.items():
            setattr(est, n, v)
        est._initialize(sample, seed)
        est._check()
        est._check_n_features(sample)
        run = monitor if len(seeds) == 1 else copy.deepcopy(monitor)
        run._reset()
        for _ in range(est.n_iter):
            stats, logprob = passes.run(_e_step, ("X", "seq"), _add_stats,
                                        copy.deepcopy(est), each=index)
            with single_threaded_blas():
                objective = est._em_objective(logprob)    # the ELBO for the VB models
                est._do_mstep(stats)
            run.report(objective)
            if run.converged:
                break
        final = run.history[-1] if run.history else -np.inf
        if best is None or final > best_lp:
            best_lp = final
            best = ({n: getattr(est, n) for n in names}, run)
    for n, v in best[0].items():
        setattr(est, n, v)
    est._monitor = best[1]
    return est


def _partition_calls(estimator, X, lengths, func):
    """(X, [delayed func(model, partition, its lengths)]) for a fitted model."""
    check_is_fitted(estimator, "startprob_")
    estimator._check()
    X = _dask.as_row_collection(X)
    seq = sequence_blocks(X, lengths)
    delayed = _dask._dask().delayed
    model = _dask.broadcast(copy.deepcopy(estimator))
    return X, [delayed(func, pure=True)(model, b, s)
               for b, s in zip(_dask.row_blocks(X), seq)]


def _per_partition(estimator, X, lengths, func, n_out, dtype):
    da = importlib.import_module("dask.array")
    X, calls = _partition_calls(estimator, X, lengths, func)
    sizes = _dask.block_sizes(X)
    pieces = []
    for i, call in enumerate(calls):
        rows = np.nan if sizes is None else sizes[i]
        shape = (rows,) if n_out is None else (rows, n_out)
        pieces.append(da.from_delayed(call, shape=shape, dtype=dtype))
    return da.concatenate(pieces, axis=0)


def _lengths(lengths):
    return None if lengths is None else np.asarray(lengths)


def _predict(model, part, lengths):
    return model.predict(part, _lengths(lengths))


def _predict_proba(model, part, lengths):
    return model.predict_proba(part, _lengths(lengths))


def _score(model, part, lengths):
    return model.score(part, _lengths(lengths))


def _score_per_sequence(model, part, lengths):
    return model.score(part, _lengths(lengths), per_sequence=True)


def _score_samples(model, part, lengths):
    return model.score_samples(part, _lengths(lengths))


def _decoder(algorithm):
    def decode(model, part, lengths):
        return model.decode(part, _lengths(lengths), algorithm=algorithm)
    return decode


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


@_dask.implements("BaseHMM.predict")
def predict(estimator, X, lengths=None):
    """Most likely state of each frame, as a lazy Dask array."""
    return _per_partition(estimator, X, lengths, _predict, None, np.intp)


@_dask.implements("BaseHMM.predict_proba")
def predict_proba(estimator, X, lengths=None):
    """Posterior state probabilities of each frame, as a lazy Dask array."""
    return _per_partition(estimator, X, lengths, _predict_proba, estimator.n_components,
                          np.float64)


@_dask.implements("BaseHMM.score")
def score(estimator, X, lengths=None, per_sequence=False):
    """Log-likelihood of X (a float), or per sequence (a lazy Dask array)."""
    if per_sequence:
        da = importlib.import_module("dask.array")
        X, calls = _partition_calls(estimator, X, lengths, _score_per_sequence)
        # Sequences per partition: unknown (NaN) when lengths are a Dask array.
        counts = [1 if s is None else np.nan if _dask.is_dask_collection(s) else len(s)
                  for s in sequence_blocks(X, lengths)]
        return da.concatenate([da.from_delayed(c, shape=(n,), dtype=np.float64)
                               for c, n in zip(calls, counts)])
    _, calls = _partition_calls(estimator, X, lengths, _score)
    return float(_dask.compute(_dask.tree_sum(calls, operator.add))[0])


def _with_frames(estimator, X, lengths, func, n_out, dtype):
    """Return (summed log-likelihood, per-frame lazy array) from one pass per partition.

    The partitions' (log-likelihood, frames) pairs are persisted, so the
    float is computed now and the frames stay on the workers until asked for.
    """
    da = importlib.import_module("dask.array")
    dask = _dask._dask()
    X, calls = _partition_calls(estimator, X, lengths, func)
    calls = dask.persist(*calls)
    delayed = dask.delayed
    total = _dask.compute(_dask.tree_sum([delayed(_first, pure=True)(c) for c in calls],
                                         operator.add))[0]
    sizes = _dask.block_sizes(X)
    pieces = []
    for i, call in enumerate(calls):
        rows = np.nan if sizes is None else sizes[i]
        shape = (rows,) if n_out is None else (rows, n_out)
        pieces.append(da.from_delayed(delayed(_second, pure=True)(call), shape=shape,
                                      dtype=dtype))
    return float(total), da.concatenate(pieces, axis=0)


@_dask.implements("BaseHMM.score_samples")
def score_samples(estimator, X, lengths=None):
    """Log-likelihood of X (a float) and the posteriors of each frame (a lazy Dask array)."""
    return _with_frames(estimator, X, lengths, _score_samples, estimator.n_components,
                        np.float64)


@_dask.implements("BaseHMM.decode")
def decode(estimator, X, lengths=None, algorithm=None):
    """Log-probability of the best paths (a float) and the states (a lazy Dask array)."""
    return _with_frames(estimator, X, lengths, _decoder(algorithm), None, np.intp)
