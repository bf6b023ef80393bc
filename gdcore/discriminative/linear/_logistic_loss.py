"""The logistic objective on the compiled kernels, as the optimizers see it.

One flat parameter vector w = [W.ravel(), b] (b only with an intercept), and

    f(w) = L(W, b) / S + (alpha / 2) ||W||^2,    L = sum_i s_i loss_i,  S = sum_i s_i

which is scikit-learn's scaling (its ``LinearModelLoss`` with
``l2_reg_strength = 1 / (C S)``), so objective values compare one to one.
Dividing by S keeps f of order one whatever n, which is what the optimizers'
default tolerances assume.

Dense X goes through ``loss_grad`` / ``hessp`` (one pass each); CSR X does the
two products in SciPy and the per-row part in the kernel.  The kernels call
BLAS inside their parallel loop: callers hold ``single_threaded_blas()``
around a whole fit (entering threadpoolctl's context per call can cost more
than a pass over a small X such as breast_cancer).
"""

import numpy as np
import scipy.sparse as sp

from gdcore.discriminative.linear import _linear


class LogisticLoss:
    """f(w), its gradient and Hessian-vector products for fixed data.

    Parameters
    ----------
    X : C-contiguous float32/float64 array or CSR matrix, (n, d)
    y : int array (n,), class index ({0, 1} when n_out == 1)
    sw : float64 array (n,), sample weights (class weights already applied)
    n_out : 1 (binary logit) or the number of classes (softmax)
    fit_intercept : bool
    alpha : float, L2 strength (0 for none)
    n_threads : int
    """

    def __init__(self, X, y, sw, n_out, fit_intercept, alpha, n_threads):
        self.X = X
        self.y = np.ascontiguousarray(y, dtype=np.intc)
        self.sw = np.ascontiguousarray(sw, dtype=np.float64)
        self.sw_sum = float(self.sw.sum())
        self.n_out = n_out
        self.n_features = X.shape[1]
        self.fit_intercept = fit_intercept
        self.alpha = alpha
        self.n_threads = n_threads
        self.sparse = sp.issparse(X)
        # Probabilities at the last point the gradient was taken, for hessp.
        self._proba = None
        self._proba_at = None

    @property
    def n_params(self):
        return self.n_out * (self.n_features + int(self.fit_intercept))

    def unpack(self, w):
        """(W (n_out, d), b (n_out,)) views of a flat parameter vector."""
        k, d = self.n_out, self.n_features
        W = w[: k * d].reshape(k, d)
        b = w[k * d:] if self.fit_intercept else np.zeros(k)
        return W, b

    def _pack(self, gW, gb):
        return np.concatenate([gW.ravel(), gb]) if self.fit_intercept else gW.ravel()

    def data_loss_grad(self, W, b, keep_proba=False):
        """(L, dL/dW, dL/db), unscaled; probabilities kept for hessp if asked."""
        n, k = self.X.shape[0], self.n_out
        P = np.empty((n, k) if keep_proba else (0, k))
        if self.sparse:
            raw = np.ascontiguousarray(self.X @ W.T, dtype=np.float64)
            raw += b
            loss = _linear.pointwise_loss_grad(raw, self.y, self.sw, P, self.n_threads)
            gW = np.asarray(self.X.T @ raw).T
            gb = raw.sum(axis=0)
        else:
            gW, gb = np.empty((k, self.n_features)), np.empty(k)
            Wc = np.ascontiguousarray(W, dtype=self.X.dtype)
            loss = _linear.loss_grad(self.X, self.y, self.sw, Wc,
                                       np.ascontiguousarray(b, dtype=np.float64),
                                       gW, gb, P, self.n_threads)
        return loss, gW, gb, P

    def loss_grad(self, w, keep_proba=False):
        """(f(w), grad f(w)) as a flat vector; what L-BFGS calls."""
        W, b = self.unpack(w)
        loss, gW, gb, P = self.data_loss_grad(W, b, keep_proba)
        if keep_proba:
            self._proba, self._proba_at = P, w.copy()
        f = loss / self.sw_sum + 0.5 * self.alpha * float(np.vdot(W, W))
        grad = self._pack(gW / self.sw_sum + self.alpha * W, gb / self.sw_sum)
        return f, grad

    def loss_grad_keep(self, w):
        """loss_grad that also keeps the probabilities (for the Newton solver)."""
        return self.loss_grad(w, keep_proba=True)

    def hessp(self, w, v):
        """Hessian of f at w times v (flat), from the probabilities at w."""
        if self._proba_at is None or not np.array_equal(w, self._proba_at):
            self.loss_grad(w, keep_proba=True)
        V, vb = self.unpack(v)
        k = self.n_out
        if self.sparse:
            raw = np.ascontiguousarray(self.X @ V.T, dtype=np.float64)
            raw += vb
            _linear.pointwise_hessp(raw, self.sw, self._proba, self.n_threads)
            hW, hb = np.asarray(self.X.T @ raw).T, raw.sum(axis=0)
        else:
            hW, hb = np.empty((k, self.n_features)), np.empty(k)
            _linear.hessp(self.X, self.sw, self._proba,
                            np.ascontiguousarray(V, dtype=self.X.dtype),
                            np.ascontiguousarray(vb, dtype=np.float64),
                            hW, hb, self.n_threads)
        return self._pack(hW / self.sw_sum + self.alpha * V, hb / self.sw_sum)
