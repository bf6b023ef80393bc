"""scikit-learn's callbacks API (``set_callbacks``, scikit-learn >= 1.9) for the lbfgs fit.

scikit-learn 1.9 added ``sklearn.callback``: ``est.set_callbacks(cb)``
registers objects whose hooks run around a fit and around each solver
iteration, each iteration hook receiving a ``fitted_estimator`` rebuilt from
the iterate.  ``LogisticRegression`` supports them for ``solver='lbfgs'``
only, and so does gdcore's, calling the hooks in scikit-learn's order: one
root task for the fit, one subtask per L-BFGS iteration (begun at the
iterate before the step, ended at the iterate after it), and one empty
subtask left over after SciPy's last callback.  A callback written for
scikit-learn's estimator therefore sees the same sequence.

With scikit-learn < 1.9 there is no callback framework: ``CallbackSupport``
is an empty base and fits run without hooks.  Without callbacks set, a fit
builds no context at all.
"""

import warnings
from contextlib import contextmanager

from gdcore._sklearn_compat import CallbackSupportMixin, callback_management_context


class _LbfgsIterations:
    """SciPy's per-iteration callback turned into scikit-learn's subtask hooks."""

    def __init__(self, root, estimator, X, y, metadata, unpack, w0):
        self.root, self.estimator, self.unpack = root, estimator, unpack
        self.X, self.y, self.metadata = X, y, metadata
        self.ctx = self._begin(w0)

    def _attributes(self, w):
        W, b = self.unpack(w)
        dtype = self.X.dtype
        return {"coef_": W.astype(dtype), "intercept_": b.astype(dtype)}

    def _begin(self, w):
        ctx = self.root.subcontext(task_name="lbfgs-iter")
        ctx.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y,
                                   metadata=self.metadata,
                                   reconstruction_attributes=self._attributes(w))
        return ctx

    def __call__(self, w):
        """End the iteration SciPy just finished at ``w``, begin the next one."""
        self.ctx.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y,
                                      metadata=self.metadata,
                                      reconstruction_attributes=self._attributes(w))
        self.ctx = self._begin(w)

    def close(self):
        """End the subtask begun after SciPy's last iteration, which never ran."""
        self.ctx.call_on_fit_task_end(estimator=self.estimator)


class _FitHooks:
    """The root task of one fit: its begin/end hooks and the lbfgs iteration bridge."""

    def __init__(self, estimator, X, y, sample_weight):
        self.estimator, self.X, self.y = estimator, X, y
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        # scikit-learn's count: at least one iteration, plus the empty last one.
        self.root = estimator._init_callback_context(
            max_subtasks=max(estimator.max_iter, 1) + 1)
        self.root.call_on_fit_task_begin(estimator=estimator, X=X, y=y,
                                         metadata=self.metadata)

    def iterations(self, unpack, w0):
        """Return the callable SciPy's L-BFGS calls with each new iterate."""
        return _LbfgsIterations(self.root, self.estimator, self.X, self.y,
                                self.metadata, unpack, w0)

    def end(self):
        """Call the fit's end hook, its ``fitted_estimator`` the fitted estimator."""
        self.root.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y,
                                       metadata=self.metadata,
                                       reconstruction_attributes={})


if CallbackSupportMixin is None:

    class CallbackSupport:
        """scikit-learn < 1.9: no callbacks API."""

        @contextmanager
        def _fit_hooks(self, X, y, sample_weight):
            yield None

else:

    class CallbackSupport(CallbackSupportMixin):
        """scikit-learn's ``set_callbacks``, served for ``solver='lbfgs'``."""

        def set_callbacks(self, *callbacks):
            """Set callbacks run during ``fit`` (scikit-learn >= 1.9, lbfgs only).

            Parameters
            ----------
            *callbacks : callback instances
                Objects following scikit-learn's ``FitCallback`` protocol.

            Returns
            -------
            self : object
                The estimator itself.
            """
            if self.solver != "lbfgs":
                warnings.warn(
                    f"Callbacks are only supported in {type(self).__name__} for"
                    f" solver='lbfgs'. This estimator has solver='{self.solver}', "
                    "callbacks will be ignored during the solving of the regression.",
                    stacklevel=2)
            return super().set_callbacks(*callbacks)

        @contextmanager
        def _fit_hooks(self, X, y, sample_weight):
            """Yield the fit's hooks (None without callbacks); tear them down after."""
            if not getattr(self, "_skl_callbacks", None) or self.solver != "lbfgs":
                yield None
                return
            with callback_management_context(self):
                yield _FitHooks(self, X, y, sample_weight)
