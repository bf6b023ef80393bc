"""One mechanism for what gdcore's kernels do not serve: fit through the peer.

gdcore never refuses what the estimator it replaces accepts.  Where a
parameter or an input is outside its kernels (sparse X a kernel does not
take, another metric, criterion or solver), the estimator fits the peer's own
implementation -- scikit-learn's estimator of the same name, built with the
same parameters -- and serves every later call through it.  This is how
scikit-learn-intelex falls back to scikit-learn.

An estimator opts in by subclassing :class:`PeerFallbackMixin`, naming its
peer in ``_peer_class`` and saying why it cannot serve a fit in
``_fallback_reason``; its ``fit`` starts with::

    if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
        return self

and each public method that reads the fitted model carries
``@delegate_to_peer``.  After a fallback fit the peer's fitted attributes
(``coef_``, ``tree_``, ``classes_``, ...) are the estimator's own, any other
attribute lookup that fails is answered by the peer, and a native refit
removes them all.

Every fallback is logged at debug level on the ``gdcore`` logger, with its
reason, and counted for :func:`gdcore.show_config`.
"""

import functools
import importlib
import inspect
import logging
from collections import Counter

from gdcore._doc_link import DocLinkMixin
from gdcore._sklearn_compat import follow_installed_peer

logger = logging.getLogger("gdcore")

# (estimator name, peer, reason) -> number of fits served by the peer in this
# process, for show_config.
FALLBACKS = Counter()


def _peer_type(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class PeerFallbackMixin(DocLinkMixin):
    """Fit and predict through the peer's implementation where the kernels cannot.

    Subclasses set ``_peer_class`` (the dotted path of the peer estimator)
    and override ``_fallback_reason``.
    """

    _peer_class = None

    def __init_subclass__(cls, **kwargs):
        # On an older scikit-learn, the peer's constructor of that release
        # (parameters since removed, defaults since changed): gdcore._sklearn_compat.
        super().__init_subclass__(**kwargs)
        if cls._peer_class is not None:
            follow_installed_peer(cls)

    def _fallback_reason(self, X, y=None, **fit_params):
        """Return why gdcore's kernels cannot serve this fit, or None if they can."""
        return None

    def _peer_params(self, peer_type):
        """Return this estimator's parameters that the peer's constructor takes."""
        accepted = inspect.signature(peer_type.__init__).parameters
        return {k: v for k, v in self.get_params(deep=False).items() if k in accepted}

    def _fit_peer_if_needed(self, X, y=None, **fit_params):
        """Fit the peer and adopt its fitted attributes if the kernels cannot serve.

        Returns True when the peer fitted the model (``fit`` then returns
        ``self``), False when the native fit should go ahead.  Fit
        parameters that are None are not passed on, so a peer whose ``fit``
        lacks one (``sample_weight``) still fits.
        """
        previous = self.__dict__.get("_peer")
        self._drop_peer()
        reason = self._fallback_reason(X, y, **fit_params)
        if reason is None:
            return False
        peer_type = _peer_type(self._peer_class)
        params = self._peer_params(peer_type)
        if getattr(self, "warm_start", False) and type(previous) is peer_type:
            # warm_start continues from the previous fallback fit, as the peer would.
            peer = previous.set_params(**params)
        else:
            peer = peer_type(**params)
        name = type(self).__name__
        logger.debug("%s: fitting through %s: %s", name, self._peer_class, reason)
        FALLBACKS[(name, self._peer_class, reason)] += 1
        kwargs = {k: v for k, v in fit_params.items() if v is not None}
        if y is None:
            peer.fit(X, **kwargs)
        else:
            peer.fit(X, y, **kwargs)
        adopted = []
        for key, value in vars(peer).items():
            if key.endswith("_") and not key.startswith("_") and not isinstance(
                    getattr(type(self), key, None), property):
                setattr(self, key, value)
                adopted.append(key)
        self._peer = peer
        self._peer_adopted = adopted
        self._peer_reason = reason
        return True

    def _drop_peer(self):
        """Forget a previous fallback fit: its peer and the attributes taken from it."""
        state = self.__dict__
        for key in state.pop("_peer_adopted", ()):
            state.pop(key, None)
        state.pop("_peer", None)
        state.pop("_peer_reason", None)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: fitted attributes that the
        # native model computes on demand (properties) come from the peer.
        peer = self.__dict__.get("_peer")
        if peer is not None and not name.startswith("__"):
            return getattr(peer, name)
        attr = getattr(type(self), name, None)
        if isinstance(attr, property):
            # Without a peer, let the property's own error through (an unfitted
            # estimator's NotFittedError) instead of a bare "no attribute".
            return attr.fget(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def delegate_to_peer(method):
    """Serve ``method`` through the peer after a fallback fit, natively otherwise."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        peer = self.__dict__.get("_peer")
        if peer is not None:
            return getattr(peer, method.__name__)(*args, **kwargs)
        return method(self, *args, **kwargs)

    return wrapper
