"""scikit-learn across the releases gdcore supports (1.6 to the latest), in one place.

gdcore imports scikit-learn's public API directly wherever one exists
(``sklearn.utils.metaestimators.available_if``, ``sklearn.utils.get_tags``,
``numbers.Real``).  What it needs that scikit-learn keeps private is imported
here only, each name with why there is no public equivalent and the releases
it is known in, so that a scikit-learn release which moves one breaks this
file and its test (``gdcore/tests/test_sklearn_compat.py``), not every family.

The constructors of gdcore's estimators follow the latest scikit-learn
(:data:`SIGNATURES_FOLLOW`).  On an older scikit-learn,
:func:`follow_installed_peer` gives an estimator the constructor its peer has
on the installed release: the parameters the latest release removed
(``LogisticRegression(multi_class=...)`` before 1.8) and the defaults it
changed (``penalty='l2'``, ``l1_ratio=None`` before 1.8;
``SVC(probability=False)`` before 1.9), so code and tests written for that
release run unchanged.  A removed parameter set to anything but its default is
served by the peer (the fallback of :mod:`gdcore._fallback`), which gives it
its meaning on that release.
"""

import functools
import importlib
import inspect
import re

import numpy as np
import sklearn

# Each name below is private in every supported release (checked on 1.6.1 and
# 1.9.1) and has no public equivalent.
#
# Bootstrap draws per tree from ``max_samples`` (sklearn.ensemble._forest in 1.6
# and 1.9, defined in ensemble._bootstrap by 1.9).  Its rule changed between
# them: in 1.6 an int above n_samples is an error and a float is a fraction in
# (0, 1], rounded; in 1.9 any int is drawn as given and a float may exceed 1
# (truncated, warned when small).  Calling the installed release's own function
# gives that release's rule and messages.
from sklearn.ensemble._forest import _get_n_samples_bootstrap

# HistGradientBoosting's bin thresholds of one feature
# (sklearn.ensemble._hist_gradient_boosting.binning in 1.6 and 1.9).  Their rule
# changed between them: 1.6 takes the ``method="midpoint"`` percentiles,
# duplicates kept, of a subsample drawn without replacement, and ignores
# sample_weight; 1.9 takes the ``"averaged_inverted_cdf"`` ones, deduplicated and
# weighted, of a subsample drawn with replacement in proportion to the weights.
# Calling the installed release's function gives that release's bins, so gdcore
# grows the same trees as the installed HistGradientBoosting.
from sklearn.ensemble._hist_gradient_boosting.binning import _find_binning_thresholds

# Whether a scalar is NaN (missing-value markers, as HistGradientBoosting and the
# encoders test them): private in sklearn.utils._missing in 1.6 and 1.9.
from sklearn.utils._missing import is_scalar_nan

# The constraints of ``_parameter_constraints``: scikit-learn's own estimators
# declare their parameters with them, which gdcore mirrors; no public module.
from sklearn.utils._param_validation import Hidden, Interval, StrOptions

# One-vs-one votes and confidences turned into per-class scores, as SVC's
# decision_function_shape='ovr' computes them (a copy could drift from SVC's),
# and the first-partial_fit check that sets classes_, as scikit-learn's NB does.
from sklearn.utils.multiclass import _check_partial_fit_first_call, _ovr_decision_function

# The weighted percentile scikit-learn's absolute_error and quantile losses take
# their baseline and leaf values from (sklearn.utils.stats in 1.6 and 1.9; the
# third argument, called percentile in 1.6 and percentile_rank in 1.9, is
# passed by position): the installed release's gives its leaves.
from sklearn.utils.stats import _weighted_percentile as weighted_percentile

# Sample-weight validation (wrapped below: its keywords differ by release), and
# the row count of any array-like, sparse matrix or dataframe.
from sklearn.utils.validation import _check_sample_weight as _sklearn_check_sample_weight
from sklearn.utils.validation import _num_samples

# The categorical-feature specification of HistGradientBoosting (indices, mask,
# names, "from_dtype") checked with scikit-learn's own errors: a function of
# sklearn.utils.validation in 1.9, a method of the estimator before.
try:
    from sklearn.utils.validation import _check_categorical_features
except ImportError:  # a release where it is the estimator's method (1.6)
    def _check_categorical_features(X, categorical_features):
        """Return the boolean mask of categorical columns (None if there are none)."""
        from sklearn.ensemble import HistGradientBoostingRegressor

        peer = HistGradientBoostingRegressor(categorical_features=categorical_features)
        return peer._check_categorical_features(X)

__all__ = [
    "_check_categorical_features",
    "is_scalar_nan",
    "SKLEARN_VERSION",
    "SIGNATURES_FOLLOW",
    "CallbackSupportMixin",
    "Hidden",
    "Interval",
    "KNeighborsMixin",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_num_samples",
    "_ovr_decision_function",
    "callback_management_context",
    "follow_installed_peer",
    "forest_bootstrap_size",
    "hist_bin_subsample",
    "hist_bin_thresholds",
    "sklearn_version_at_least",
    "weighted_percentile",
]

try:
    # scikit-learn's code (its own tests among it) tells a k-neighbours model
    # from a radius one by this private mixin (sklearn.neighbors._base in 1.6 and
    # 1.9, not exported by sklearn.neighbors); gdcore's neighbours override
    # every method it defines.
    from sklearn.neighbors._base import KNeighborsMixin
except ImportError:  # a scikit-learn without it: nothing to be recognized by

    class KNeighborsMixin:  # noqa: D101
        pass


try:
    # The callbacks API (``est.set_callbacks``) is new in 1.9.  The mixin is
    # public; the context manager that sets callbacks up and tears them down
    # around a fit is public only as the ``with_callbacks`` method decorator,
    # which cannot wrap the part of a fit that runs lbfgs, so the context
    # manager itself comes from the private module (1.9).
    from sklearn.callback import CallbackSupportMixin
    from sklearn.callback._callback_support import callback_management_context
except ImportError:  # scikit-learn < 1.9: no callbacks
    CallbackSupportMixin = None
    callback_management_context = None


def _release(version):
    """Return (major, minor) of a version string such as '1.9.1' or '1.10.dev0'."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return int(match[1]), int(match[2])


SKLEARN_VERSION = _release(sklearn.__version__)

# The scikit-learn release whose constructors (parameters and defaults)
# gdcore's estimators are written for.
SIGNATURES_FOLLOW = (1, 9)


def sklearn_version_at_least(version):
    """Return whether the installed scikit-learn is ``version`` ('1.8') or later."""
    return SKLEARN_VERSION >= _release(version)


# ``allow_all_zero_weights`` is in 1.9 and not in 1.6, which accepts all-zero
# weights whatever is asked; gdcore/_validation.py's check_sample_weight builds
# on this too.
_SAMPLE_WEIGHT_KEYWORDS = frozenset(inspect.signature(_sklearn_check_sample_weight).parameters)


def _check_sample_weight(sample_weight, X, **kwargs):
    """Validate ``sample_weight`` as scikit-learn 1.9 does, on every supported release.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        The weights; None means ones, a number means that weight for every row.
    X : array-like of shape (n_samples, n_features)
        The data the weights go with.
    **kwargs : dict
        scikit-learn's keywords (``dtype``, ``ensure_non_negative``, ``copy``,
        ``allow_all_zero_weights``).  On releases that predate
        ``allow_all_zero_weights`` (1.6), all-zero weights are refused here
        unless it is True, with 1.9's message.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
        The validated weights.
    """
    if "allow_all_zero_weights" in _SAMPLE_WEIGHT_KEYWORDS:
        return _sklearn_check_sample_weight(sample_weight, X, **kwargs)
    allow_all_zero = kwargs.pop("allow_all_zero_weights", False)
    sample_weight = _sklearn_check_sample_weight(sample_weight, X, **kwargs)
    if not allow_all_zero and not sample_weight.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


_BOOTSTRAP_TAKES_WEIGHT = "sample_weight" in inspect.signature(_get_n_samples_bootstrap).parameters


def forest_bootstrap_size(n_samples, max_samples):
    """Return the bootstrap draws per tree by the installed scikit-learn's rule.

    Parameters
    ----------
    n_samples : int
        Rows of the training set.
    max_samples : int, float or None
        The forest's ``max_samples``.

    Returns
    -------
    n_draws : int
        Rows drawn (with replacement) for each tree.
    """
    if _BOOTSTRAP_TAKES_WEIGHT:
        return _get_n_samples_bootstrap(n_samples, max_samples, sample_weight=None)
    return _get_n_samples_bootstrap(n_samples, max_samples)


# Weighted bins and the with-replacement subsample came in the same release.
_BINNING_TAKES_WEIGHT = "sample_weight" in inspect.signature(_find_binning_thresholds).parameters


def hist_bin_thresholds(col, max_bins, sample_weight=None):
    """Return one feature's bin thresholds by the installed scikit-learn's rule.

    Parameters
    ----------
    col : ndarray of shape (n_samples,)
        The feature's values, float64, NaN for missing values.
    max_bins : int
        Bins of non-missing values, at most 255.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Row weights; ignored by releases whose bins are unweighted (1.6).

    Returns
    -------
    thresholds : ndarray of shape (n_thresholds,)
        Increasing float64 thresholds: ``x`` is in bin ``i`` when
        ``thresholds[i - 1] < x <= thresholds[i]``; empty when the feature has
        fewer than two distinct non-missing values.
    """
    if np.isnan(col).all():  # scikit-learn 1.9's function fails on no values
        return np.zeros(0)
    if _BINNING_TAKES_WEIGHT:
        return _find_binning_thresholds(col, max_bins, sample_weight=sample_weight)
    return _find_binning_thresholds(col, max_bins)


def hist_bin_subsample(random_state, n_samples, subsample, sample_weight=None):
    """Return the rows the bins are computed from, by the installed scikit-learn's rule.

    Parameters
    ----------
    random_state : numpy.random.RandomState
        The draw's generator (scikit-learn's ``_BinMapper`` draws first from it).
    n_samples : int
        Rows of the training set, more than ``subsample``.
    subsample : int
        Rows to draw.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Row weights: where the bins are weighted (1.9) rows are drawn in
        proportion to them, with replacement, and the subsample then stands
        unweighted; 1.6 draws without replacement and ignores them.

    Returns
    -------
    rows : ndarray of shape (subsample,)
        Indices of the drawn rows.
    """
    if not _BINNING_TAKES_WEIGHT:
        return random_state.choice(n_samples, subsample, replace=False)
    p = None if sample_weight is None else sample_weight / np.sum(sample_weight)
    return random_state.choice(n_samples, subsample, p=p, replace=True)


def _same_default(a, b):
    """Return whether two constructor defaults are the same value."""
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _peer_signature(cls):
    """Return the installed peer's constructor signature, or None if unavailable."""
    module, _, name = cls._peer_class.rpartition(".")
    try:
        peer = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return inspect.signature(peer.__init__)


def follow_installed_peer(cls):
    """Give ``cls`` its peer's constructor on the installed scikit-learn, if older.

    On :data:`SIGNATURES_FOLLOW` and later this returns ``cls`` untouched.  On
    an older release, the constructor parameters the peer has there and
    ``cls`` lacks are added (keyword-only, the peer's default), and the
    defaults of shared parameters become the peer's; ``get_params``,
    ``clone`` and ``set_params`` see that signature.  A fit whose added
    parameter is not at its default is served by the peer.

    Parameters
    ----------
    cls : type
        An estimator class with ``_peer_class`` (a dotted path) and, for the
        added parameters to be honoured, ``_fallback_reason``.

    Returns
    -------
    cls : type
        The same class, its ``__init__`` (and ``_fallback_reason``) replaced
        if the installed peer's constructor differs.
    """
    if SKLEARN_VERSION >= SIGNATURES_FOLLOW or "__init__" not in cls.__dict__:
        return cls
    theirs = _peer_signature(cls)
    if theirs is None:
        return cls
    original = cls.__init__
    own = inspect.signature(original)
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if any(p.kind not in keyword for p in list(own.parameters.values())[1:]):
        return cls
    peer_params = {name: p for name, p in theirs.parameters.items()
                   if name != "self" and p.kind in keyword}
    added = {name: p.default for name, p in peer_params.items() if name not in own.parameters}
    params = [p.replace(default=peer_params[name].default)
              if name in peer_params and not _same_default(p.default, peer_params[name].default)
              else p
              for name, p in own.parameters.items()]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
               for name, default in added.items()]
    signature = own.replace(parameters=params)
    if signature == own:
        return cls
    own_names = [name for name in own.parameters if name != "self"]

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        original(self, **{name: bound.arguments[name] for name in own_names})
        for name in added:
            setattr(self, name, bound.arguments[name])

    __init__.__signature__ = signature
    cls.__init__ = __init__
    if added and hasattr(cls, "_fallback_reason"):
        cls._fallback_reason = _peer_serves(cls._fallback_reason, added)
    if added and cls.__doc__:
        cls.__doc__ = _document_added(cls.__doc__, added)
    return cls


def _document_added(doc, added):
    """Return ``doc`` with a numpydoc entry for each added parameter, at the end of Parameters."""
    lines = doc.split("\n")
    heads = [i for i in range(len(lines) - 1)
             if lines[i].strip() and set(lines[i + 1].strip()) == {"-"}
             and len(lines[i + 1].strip()) == len(lines[i].strip())]
    first = [i for i in heads if lines[i].strip() == "Parameters"]
    if not first:
        return doc
    indent = lines[first[0]][: len(lines[first[0]]) - len(lines[first[0]].lstrip())]
    later = [i for i in heads if i > first[0]]
    at = later[0] if later else len(lines)
    while at > first[0] + 2 and not lines[at - 1].strip():
        at -= 1
    entries = []
    for name, default in added.items():
        entries += [f"{indent}{name} : object, default={default!r}",
                    f"{indent}    A parameter of scikit-learn {sklearn.__version__}'s estimator; a "
                    f"fit with another value is served by it."]
    return "\n".join(lines[:at] + entries + lines[at:])


def _peer_serves(reason_of, added):
    """Wrap ``_fallback_reason`` so a non-default added parameter falls back."""

    @functools.wraps(reason_of)
    def _fallback_reason(self, X, y=None, **fit_params):
        for name, default in added.items():
            value = getattr(self, name, default)
            if not _same_default(value, default):
                return (f"{name}={value!r} (a parameter of scikit-learn "
                        f"{sklearn.__version__}'s estimator)")
        return reason_of(self, X, y, **fit_params)

    return _fallback_reason
