"""The compiled boosting kernels equal their NumPy twins (``_reference/``).

float32 and float64 gradients, 1 and 2 threads, edge sizes; results are the
same bits on any number of threads.
"""

import numpy as np
import pytest

from gdcore.discriminative.boosting import _boosting_hist, _boosting_rows, _boosting_split
from gdcore.discriminative.boosting._reference import boosting_hist, boosting_rows, boosting_split

# (rows, features, bins): edge sizes, shapes whose histograms are shared
# among threads (rows x features >= ``_boosting_hist``'s MIN_SHARED_UPDATES),
# and shares of 4 features and more (the root adds four at a time)
SHAPES = [(1, 1, 1), (2, 1, 3), (7, 3, 4), (300, 5, 17), (300, 1, 255), (40000, 2, 255),
          (40000, 6, 31), (40000, 11, 31)]


@pytest.fixture(params=[True, False], ids=["blocks", "scalar"])
def blocks(request):
    """``partition`` with its AVX-512 blocks (where the CPU has them), and without."""
    was = _boosting_rows.vector_blocks(request.param)
    yield request.param
    _boosting_rows.vector_blocks(was)


def _problem(n, d, bins, dtype, seed=0, wide=False):
    rng = np.random.default_rng(seed)
    n_bins = rng.integers(1, bins + 1, d).astype(np.int32)
    n_bins[0] = bins
    codes = np.empty((d, n), dtype=np.uint32 if wide else np.uint8)
    for f in range(d):
        codes[f] = rng.integers(0, n_bins[f] + 1, n)  # code n_bins[f] is NaN
    g = rng.normal(size=n).astype(dtype)
    h = rng.uniform(0.1, 1.0, n).astype(dtype)
    return codes, n_bins, g, h


def _hist(mod, codes, rows, all_rows, g, h, const, feats, B, n_threads):
    out = np.full((codes.shape[0], B, 3), -7.0)
    m = len(rows)
    mod.build(codes, rows, all_rows, g, h, const, feats, np.empty(m, g.dtype),
              np.empty(m, g.dtype), out, n_threads)
    return out


def _hist_rowwise(codes, rows, all_rows, g, h, const, feats, B, n_threads):
    out = np.full((codes.shape[0], B, 3), -7.0)
    scratch = np.full(codes.shape[0] * B * 4 + 8, np.nan)
    _boosting_hist.build_rowwise(np.ascontiguousarray(codes.T), rows, all_rows, g, h, const,
                                 feats, scratch, out, n_threads)
    return out


def _hist_root(codes, g, h, const, feats, B, n_threads):
    """``build_root`` given the counts of every row (the NumPy twin's)."""
    out = np.full((codes.shape[0], B, 3), -7.0)
    counts = np.stack([np.bincount(c, minlength=B)[:B] for c in codes.astype(np.intp)])
    scratch = np.full(codes.shape[0] * B * 2 + 8, np.nan)
    _boosting_hist.build_root(codes, g, h, const, feats, counts.astype(np.float64), scratch,
                              out, n_threads)
    return out


@pytest.mark.parametrize("n,d,bins", SHAPES)
@pytest.mark.parametrize("const", [False, True])
@pytest.mark.parametrize("wide", [False, True])
def test_histogram(n, d, bins, const, wide, dtype, n_threads):
    codes, n_bins, g, h = _problem(n, d, bins, dtype, wide=wide)
    B = int(n_bins.max()) + 1
    feats = np.arange(d, dtype=np.int32)[::-1].copy()
    for rows, all_rows in [(np.arange(n, dtype=np.int32), True),
                           (np.arange(0, n, 3, dtype=np.int32)[::-1].copy(), False),
                           (np.zeros(0, dtype=np.int32), False)]:
        ref = _hist(boosting_hist, codes, rows, all_rows, g, h, const, feats, B, n_threads)
        # every layout adds a bin's sums in row order, on any number of
        # threads: the twin's bits (np.bincount adds in row order too)
        for nt in (n_threads, 1):
            np.testing.assert_array_equal(
                _hist(_boosting_hist, codes, rows, all_rows, g, h, const, feats, B, nt), ref)
            np.testing.assert_array_equal(
                _hist_rowwise(codes, rows, all_rows, g, h, const, feats, B, nt), ref)
            if all_rows:
                np.testing.assert_array_equal(_hist_root(codes, g, h, const, feats, B, nt), ref)


@pytest.mark.parametrize("const", [False, True])
def test_histogram_all_missing_feature(const, dtype, n_threads):
    """A feature whose every value is NaN: all rows in its missing bin, in both layouts."""
    codes, n_bins, g, h = _problem(20000, 3, 255, dtype)
    codes[1] = n_bins[1]
    B = int(n_bins.max()) + 1
    feats = np.arange(3, dtype=np.int32)
    rows = np.arange(1, 20000, 2, dtype=np.int32)
    ref = _hist(boosting_hist, codes, rows, False, g, h, const, feats, B, 1)
    for ours in (_hist(_boosting_hist, codes, rows, False, g, h, const, feats, B, n_threads),
                 _hist_rowwise(codes, rows, False, g, h, const, feats, B, n_threads)):
        np.testing.assert_array_equal(ours, ref)
        assert ours[1, n_bins[1], 2] == len(rows)
    root = _hist_root(codes, g, h, const, feats, B, n_threads)
    np.testing.assert_array_equal(root, _hist(boosting_hist, codes, np.arange(20000), True, g, h,
                                              const, feats, B, 1))
    assert root[1, n_bins[1], 2] == 20000


def test_rowwise_choice():
    """Row-wise while the partial histograms stay small (the bench's 40 x 256)."""
    assert _boosting_hist.rowwise(40, 256, False) and _boosting_hist.rowwise(40, 256, True)
    assert _boosting_hist.rowwise(80, 256, True) and not _boosting_hist.rowwise(80, 256, False)
    assert not _boosting_hist.rowwise(1000, 256, True)


def test_histogram_subset_and_subtract(n_threads):
    codes, n_bins, g, h = _problem(500, 4, 9, np.float32)
    B = int(n_bins.max()) + 1
    rows = np.arange(500, dtype=np.int32)
    feats = np.array([2, 0], dtype=np.int32)
    parent = _hist(_boosting_hist, codes, rows, True, g, h, False, feats, B, 2)
    assert (parent[[1, 3]] == -7.0).all()  # features not asked for are untouched
    child = _hist(_boosting_hist, codes, rows[:200], False, g, h, False, feats, B, 2)
    ours, ref = parent.copy(), np.zeros_like(parent)
    _boosting_hist.subtract(ours, child, feats, n_threads)  # in place
    boosting_hist.subtract(parent, child, feats, ref)
    np.testing.assert_array_equal(ours[feats], ref[feats])
    assert (ours[[1, 3]] == -7.0).all()
    direct = _hist(_boosting_hist, codes, rows[200:], False, g, h, False, feats, B, 2)
    np.testing.assert_allclose(ours[feats], direct[feats], rtol=1e-10, atol=1e-9)
    # wide enough to be shared among threads: the same bits on any number
    codes, n_bins, g, h = _problem(3000, 40, 255, np.float64)
    B = int(n_bins.max()) + 1
    feats = np.arange(40, dtype=np.int32)
    parent = _hist(_boosting_hist, codes, np.arange(3000, dtype=np.int32), True, g, h, False,
                   feats, B, 1)
    child = _hist(_boosting_hist, codes, np.arange(0, 3000, 3, dtype=np.int32), False, g, h,
                  False, feats, B, 1)
    one, many = parent.copy(), parent.copy()
    _boosting_hist.subtract(one, child, feats, 1)
    _boosting_hist.subtract(many, child, feats, n_threads)
    np.testing.assert_array_equal(one, many)
    np.testing.assert_array_equal(one, parent - child)


SPLIT_CASES = [dict(), dict(l2=1.0), dict(msl=30.0), dict(min_hessian=5.0),
               dict(cst=1), dict(cst=-1), dict(cst=1, lower=-0.05, upper=0.05),
               dict(min_gain=1e9)]


@pytest.mark.parametrize("n,d,bins", SHAPES)
@pytest.mark.parametrize("case", range(len(SPLIT_CASES)))
@pytest.mark.parametrize("const", [False, True])
def test_best_splits(n, d, bins, case, const, dtype, n_threads):
    c = SPLIT_CASES[case]
    codes, n_bins, g, h = _problem(n, d, bins, dtype, seed=case)
    g += 0.3 * (codes[0] / max(1, bins)).astype(dtype)  # a real signal on feature 0
    B = int(n_bins.max()) + 1
    feats = np.arange(d, dtype=np.int32)
    hist = _hist(_boosting_hist, codes, np.arange(n, dtype=np.int32), True, g, h, const,
                 feats, B, 1)
    has_missing = (codes == n_bins[:, None]).any(axis=1).astype(np.uint8)
    cst = np.full(d, c.get("cst", 0), dtype=np.int8)
    G = float(hist[0, :, 0].sum())
    H = float(n if const else hist[0, :, 1].sum())
    l2 = c.get("l2", 0.0)
    value = -G / (H + l2 + 1e-15)
    args = (hist, feats, n_bins, has_missing, cst, float(n), G, H, value,
            c.get("lower", -np.inf), c.get("upper", np.inf), l2, c.get("min_hessian", 1e-3),
            c.get("msl", 1.0), c.get("min_gain", 0.0), const)
    outs = []
    for mod, nt in [(_boosting_split, n_threads), (boosting_split, 1), (_boosting_split, 1)]:
        out = (np.empty(d), np.empty(d, np.int32), np.empty(d, np.uint8), np.empty((d, 3)))
        mod.best_splits(*args, *out, nt)
        outs.append(out)
    (gain, b, ml, left), (rgain, rb, rml, rleft), one = outs
    np.testing.assert_allclose(gain, rgain, rtol=1e-9, atol=1e-12)
    ok = gain > 0
    np.testing.assert_array_equal(b[ok], rb[ok])
    np.testing.assert_array_equal(ml[ok], rml[ok])
    np.testing.assert_allclose(left[ok], rleft[ok], rtol=1e-9, atol=1e-9)
    for a, r in zip((gain, b[ok], ml[ok], left[ok]), (one[0], one[1][ok], one[2][ok],
                                                      one[3][ok])):
        np.testing.assert_array_equal(a, r)


@pytest.mark.parametrize("n,d,bins", SHAPES)
@pytest.mark.parametrize("case", range(len(SPLIT_CASES)))
@pytest.mark.parametrize("const", [False, True])
def test_best_categorical_splits(n, d, bins, case, const, dtype, n_threads):
    c = SPLIT_CASES[case]
    if c.get("cst", 0):
        return  # categorical features take no monotonic constraint
    codes, n_bins, g, h = _problem(n, d, bins, dtype, seed=case)
    rng = np.random.default_rng(case)
    effect = rng.normal(size=bins + 1)  # an unordered per-category signal
    g += effect[codes[0]].astype(dtype)
    B = int(n_bins.max()) + 1
    feats = np.arange(d, dtype=np.int32)
    hist = _hist(_boosting_hist, codes, np.arange(n, dtype=np.int32), True, g, h, const,
                 feats, B, 1)
    has_missing = (codes == n_bins[:, None]).any(axis=1).astype(np.uint8)
    G = float(hist[0, :, 0].sum())
    H = float(n if const else hist[0, :, 1].sum())
    l2 = c.get("l2", 0.0)
    value = -G / (H + l2 + 1e-15)
    args = (hist, feats, n_bins, has_missing, float(n), G, H, value,
            c.get("lower", -np.inf), c.get("upper", np.inf), l2, c.get("min_hessian", 1e-3),
            c.get("msl", 1.0), c.get("min_gain", 0.0), const)
    outs = []
    for mod, nt in [(_boosting_split, n_threads), (boosting_split, 1), (_boosting_split, 1)]:
        out = (np.empty(d), np.empty(d, np.uint8), np.empty((d, 3)), np.empty((d, 8), np.uint32))
        mod.best_categorical_splits(*args, *out, nt)
        outs.append(out)
    (gain, ml, left, bits), (rgain, rml, rleft, rbits), one = outs
    np.testing.assert_allclose(gain, rgain, rtol=1e-9, atol=1e-12)
    ok = gain > 0
    if n >= 40 * bins and c.get("min_gain", 0.0) == 0.0:
        assert ok[0]  # the signal is found (every category has enough support)
    np.testing.assert_array_equal(ml[ok], rml[ok])
    np.testing.assert_array_equal(bits[ok], rbits[ok])
    np.testing.assert_allclose(left[ok], rleft[ok], rtol=1e-9, atol=1e-9)
    for a, r in zip((gain, ml[ok], left[ok], bits[ok]), (one[0], one[1][ok], one[2][ok],
                                                         one[3][ok])):
        np.testing.assert_array_equal(a, r)
    # the left categories hold at most half of the sorted ones, plus NaN
    for j in np.flatnonzero(ok):
        n_left = sum(bin(int(w)).count("1") for w in bits[j]) + int(ml[j])
        assert 1 <= n_left <= (int(n_bins[j]) + int(has_missing[j]) + 1) // 2


def test_categorical_split_rejects_too_many_categories():
    hist = np.zeros((1, 257, 3))
    out = (np.empty(1), np.empty(1, np.uint8), np.empty((1, 3)), np.empty((1, 8), np.uint32))
    with pytest.raises(ValueError, match="255 categories"):
        _boosting_split.best_categorical_splits(
            hist, np.zeros(1, np.int32), np.array([256], np.int32), np.ones(1, np.uint8),
            10.0, 0.0, 10.0, 0.0, -np.inf, np.inf, 0.0, 1e-3, 1.0, 0.0, True, *out, 1)


@pytest.mark.parametrize("n", [1, 5, 17, 300, 40000])
@pytest.mark.parametrize("wide", [False, True])
def test_partition_and_updates(n, wide, n_threads, blocks):
    codes, n_bins, g, h = _problem(n, 3, 12, np.float64, wide=wide)
    rng = np.random.default_rng(1)
    cat = np.array([0b1010_0110, 0, 0, 0, 0, 0, 0, 1 << 31], np.uint32)  # codes 1,2,5,7,255
    numeric = np.zeros(0, np.uint32)
    for feature, bin_, mleft, bits in [(0, 5, True, numeric), (1, 0, False, numeric),
                                       (2, 11, True, numeric), (0, 12, False, numeric),
                                       (0, 0, True, cat), (1, 0, False, cat)]:
        rows = rng.permutation(n).astype(np.int32)
        ref = np.empty_like(rows)
        rk = boosting_rows.partition(codes, rows, ref, feature, bin_, int(n_bins[feature]),
                                     mleft, bits, -1, n_threads)
        for n_left in (-1, rk):  # counted by the kernel, or given by the split
            ours = np.full_like(rows, -1)
            k = _boosting_rows.partition(codes, rows, ours, feature, bin_,
                                         int(n_bins[feature]), mleft, bits, n_left, n_threads)
            assert k == rk
            np.testing.assert_array_equal(ours, ref)
    # a two-level tree: add_leaf_values from the partition equals walking it
    left = np.array([1, -1, 3, -1, -1], np.int32)
    right = np.array([2, -1, 4, -1, -1], np.int32)
    feature = np.array([0, 0, 1, 0, 0], np.int32)
    bins = np.array([4, 0, 2, 0, 0], np.uint32)
    mleft = np.array([1, 0, 0, 0, 0], np.uint8)
    value = np.array([0.0, 0.5, 0.0, -1.0, 2.0])
    missing = n_bins.astype(np.uint32)
    rows = np.arange(n, dtype=np.int32)
    # the second split is categorical: codes 1, 2, 5, 7 go left
    is_cat = np.array([0, 0, 1, 0, 0], np.uint8)
    cat_bits = np.zeros((5, 8), np.uint32)
    cat_bits[2] = cat
    walked = {}
    for mod in (_boosting_rows, boosting_rows):
        raw = np.zeros(n)
        mod.predict_binned(codes, rows, left, right, feature, bins, mleft, missing, is_cat,
                           cat_bits, value, raw, n_threads)
        walked[mod] = raw
    np.testing.assert_array_equal(walked[_boosting_rows], walked[boosting_rows])
    part = np.empty_like(rows)
    n_l = _boosting_rows.partition(codes, rows, part, 0, 4, int(n_bins[0]), True, numeric, -1,
                                   n_threads)
    sub = part[n_l:]
    n_ll = _boosting_rows.partition(codes, sub.copy(), sub, 1, 2, int(n_bins[1]), False, cat,
                                    -1, n_threads)
    starts = np.array([0, n_l, n_l + n_ll], np.int64)
    stops = np.array([n_l, n_l + n_ll, n], np.int64)
    vals = np.array([0.5, -1.0, 2.0])
    for mod in (_boosting_rows, boosting_rows):
        raw = np.zeros(n)
        mod.add_leaf_values(raw, part, starts, stops, vals, n_threads)
        np.testing.assert_array_equal(raw, walked[boosting_rows])


@pytest.mark.parametrize("loss", ["squared_error", "poisson", "gamma", "binomial", "multinomial"])
@pytest.mark.parametrize("n", [1, 2, 7, 5000])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_hessian(loss, n, weighted, dtype, n_threads):
    from gdcore.discriminative.boosting import _boosting_loss
    from gdcore.discriminative.boosting._reference import boosting_loss

    rng = np.random.default_rng(n)
    K = 4 if loss == "multinomial" else 1
    raw = rng.normal(0, 3, (K, n))
    raw[0, :1] = 40.0  # far tails: no overflow on either side
    if n > 1:
        raw[0, 1] = -40.0
    y = {"squared_error": rng.normal(size=n), "poisson": rng.poisson(2.0, n) * 1.0,
         "gamma": rng.gamma(2.0, 1.0, n), "binomial": rng.integers(0, 2, n) * 1.0,
         "multinomial": rng.integers(0, K, n) * 1.0}[loss]
    w = rng.uniform(0.5, 2.0, n) if weighted else np.zeros(0)
    lid = _boosting_loss.LOSS_IDS[loss]
    outs = []
    for mod, nt in [(_boosting_loss, n_threads), (boosting_loss, 1), (_boosting_loss, 1)]:
        g, h = np.full((K, n), -5.0, dtype), np.full((K, n), -5.0, dtype)
        mod.gradient_hessian(lid, y, raw, w, g, h, False, nt)
        outs.append((g, h))
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for ours, ref in zip(outs[0], outs[1]):
        assert np.isfinite(ours).all()
        np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol * 1e-3)
    np.testing.assert_array_equal(outs[0][0], outs[2][0])
    np.testing.assert_array_equal(outs[0][1], outs[2][1])
    if loss == "squared_error":  # a constant hessian is left as it is
        g, h = np.zeros((1, n), dtype), np.full((1, n), 3.0, dtype)
        _boosting_loss.gradient_hessian(lid, y, raw, w, g, h, True, n_threads)
        assert (h == 3.0).all()


# exp arguments the kernel's own exp must get right: zeros, tiny, exact
# integers, half-ln2 boundaries of its range reduction, subnormal results
EXP_SPECIALS = np.array([0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 1e-17, -1e-17, 1.0, -1.0,
                         0.5 * np.log(2), -0.5 * np.log(2), 1.5 * np.log(2), 700.0, 709.0,
                         709.78, -700.0, -708.39, -708.4, -709.0, -720.0, -740.0, -744.44,
                         -745.0, -745.13, -745.14])


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 100_003])
def test_gradient_hessian_exp_ulp(n, dtype, n_threads):
    """The kernel's exp is np.exp's to 2 ulp, seen as the Poisson and Gamma hessians."""
    from gdcore.discriminative.boosting import _boosting_loss

    rng = np.random.default_rng(n)
    rest = np.concatenate([np.arange(-745.0, 710.0), rng.uniform(-745.2, 709.7, n),
                           rng.uniform(-1.0, 1.0, n)])
    x = np.concatenate([EXP_SPECIALS, rng.permutation(rest)])[:n]
    ones = np.ones(n)
    # Poisson: h = exp(raw); Gamma with y = 1: h = exp(-raw); unit weights
    for loss, raw in [("poisson", x), ("gamma", -x)]:
        g, h = np.full((1, n), -5.0, dtype), np.full((1, n), -5.0, dtype)
        _boosting_loss.gradient_hessian(_boosting_loss.LOSS_IDS[loss], ones, raw[None], np.zeros(0),
                                        g, h, False, n_threads)
        with np.errstate(over="ignore"):  # float32 overflows to inf as the kernel's cast does
            expected = np.exp(x).astype(dtype)
        # float64: 2 ulp; float32: the double result rounds to np.exp's float32
        # or the one beside it
        np.testing.assert_array_max_ulp(h[0], expected, maxulp=2 if dtype == np.float64 else 1)
        assert (g[0] != -5.0).all()


def test_gradient_hessian_far_tails(dtype, n_threads):
    """At the ends of the double range exp gives 0 and inf, not garbage; NaN stays NaN."""
    from gdcore.discriminative.boosting import _boosting_loss
    from gdcore.discriminative.boosting._reference import boosting_loss

    far = np.array([1e308, -1e308, 710.0, -746.0, 745.2, -745.2, np.inf, -np.inf, 0.0])
    n = len(far)
    ids = _boosting_loss.LOSS_IDS
    h = np.empty((1, n), dtype)
    g = np.empty((1, n), dtype)
    _boosting_loss.gradient_hessian(ids["poisson"], np.ones(n), far[None], np.zeros(0), g, h,
                                    False, n_threads)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(h[0], np.exp(far).astype(dtype))
    raw = np.array([[np.nan, 1.0]])
    g, h = np.empty((1, 2), dtype), np.empty((1, 2), dtype)
    _boosting_loss.gradient_hessian(ids["poisson"], np.ones(2), raw, np.zeros(0), g, h, False,
                                    n_threads)
    assert np.isnan(h[0, 0]) and np.isnan(g[0, 0])
    np.testing.assert_array_max_ulp(h[0, 1], np.exp(1.0).astype(dtype), maxulp=1)
    # binomial and multinomial: finite gradients where raw spans the double range
    y = np.arange(n) % 2 * 1.0
    raw = np.stack([far[:6], far[:6][::-1], np.zeros(6)])
    for lid, r, yy in [(ids["binomial"], far[None, :6], y[:6]), (ids["multinomial"], raw, y[:6])]:
        outs = []
        for mod in (_boosting_loss, boosting_loss):
            g, h = np.empty(r.shape, dtype), np.empty(r.shape, dtype)
            mod.gradient_hessian(lid, yy, r, np.zeros(0), g, h, False, n_threads)
            outs.append((g, h))
        for ours, ref in zip(*outs):
            assert np.isfinite(ours).all()
            np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("missing_left", [False, True])
def test_categorical_partition_of_codes_past_255(missing_left, n_threads, blocks):
    """Codes of 256 and more (uint32 codes) are in no category set: they go right."""
    rng = np.random.default_rng(4)
    n = 40_000
    codes = rng.integers(0, 600, (1, n)).astype(np.uint32)
    bits = np.full(8, 0xFFFFFFFF, np.uint32)  # every code below 256 goes left
    rows = rng.permutation(n).astype(np.int32)
    ref = np.empty_like(rows)
    rk = boosting_rows.partition(codes, rows, ref, 0, 0, 599, missing_left, bits, -1, 1)
    assert rk == (codes[0] < 256).sum() + missing_left * (codes[0] == 599).sum()
    for n_left in (-1, rk):
        ours = np.full_like(rows, -1)
        k = _boosting_rows.partition(codes, rows, ours, 0, 0, 599, missing_left, bits, n_left,
                                     n_threads)
        assert k == rk
        np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("chunks", [1, 2, 3, 5])
@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_partition_any_chunking(chunks, share, blocks):
    """The partition is the same stable order for any number of chunks (threads).

    With the left count given (two threads walk from both ends) or counted;
    on scattered rows, and on every row (the last three codes of a column,
    which a block's 4-byte gather does not read, among them).
    """
    rng = np.random.default_rng(2)
    n = 50_000
    codes = (rng.random((1, n)) >= share).astype(np.uint8)  # code 0 goes left
    for rows in (np.sort(rng.choice(n, n // 2, replace=False)).astype(np.int32),
                 np.arange(n, dtype=np.int32)):
        left = codes[0, rows] == 0
        for n_left in (-1, int(left.sum())):
            ours = np.full_like(rows, -1)
            k = _boosting_rows.partition(codes, rows, ours, 0, 0, 2, False,
                                         np.zeros(0, np.uint32), n_left, chunks)
            assert k == left.sum()
            np.testing.assert_array_equal(ours, np.concatenate([rows[left], rows[~left]]))


@pytest.mark.parametrize("chunks", [1, 2, 3])
@pytest.mark.parametrize("n", [10, 50_000])
def test_partition_wrong_count(chunks, n, blocks):
    """A left count its rows do not have is an error, and nothing is written past out."""
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 2, (1, n)).astype(np.uint8)
    rows = np.arange(n, dtype=np.int32)
    true = int((codes[0] == 0).sum())
    for wrong in (0, true - 1, true + 1, n):
        if wrong == true or wrong < 0:
            continue
        buf = np.full(n + 2, -7, np.int32)
        with pytest.raises(RuntimeError, match="rows going left"):
            _boosting_rows.partition(codes, rows, buf[1:-1], 0, 0, 2, False,
                                     np.zeros(0, np.uint32), wrong, chunks)
        assert buf[0] == -7 and buf[-1] == -7
        with pytest.raises(RuntimeError, match="rows going left"):
            boosting_rows.partition(codes, rows, buf[1:-1], 0, 0, 2, False,
                                    np.zeros(0, np.uint32), wrong, chunks)
