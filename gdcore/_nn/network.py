"""Network and optimizer plumbing shared by the MLP, the VAE and the GAN.

A ``DenseNetwork`` keeps every weight and bias of a stack of dense layers in
one flat vector (all weight matrices, then all biases, the layout of
scikit-learn's ``_pack``), with per-layer views into it; its gradient has the
same layout.  An optimizer step is then one compiled call over one vector,
and L-BFGS sees the parameters as the vector SciPy wants.  Forward and
backward passes are one compiled kernel call per layer
(gdcore/_nn/_dense.pyx), so a batch costs a handful of Python calls
whatever its size.

Callers hold BLAS to one thread around the kernel calls
(``gdcore._threads.single_threaded_blas``): the kernels thread over row blocks.
"""

from numbers import Integral, Real

import numpy as np

from gdcore._nn import _dense
from gdcore._sklearn_compat import Interval, StrOptions

ACTIVATIONS = _dense.ACTIVATION_CODES

# Constraints of the training parameters the generators on this network share
# (VAE, GAN, TabularDiffusion: minibatch Adam; the MLP takes scikit-learn's).
TRAINING_CONSTRAINTS = {
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "dtype": "no_validation",
    "n_jobs": [None, Integral],
}


def glorot_uniform(rng, fan_in, fan_out, activation):
    """Glorot & Bengio (2010) uniform bounds, as scikit-learn's MLP draws them.

    The same draws in the same order as scikit-learn (weights, then bias, per
    layer), so a shared ``random_state`` starts both from the same network.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    W = rng.uniform(-bound, bound, (fan_in, fan_out))
    b = rng.uniform(-bound, bound, fan_out)
    return W, b


def network_bytes(layer_units, dtype, batch_rows):
    """Bytes a network of these widths takes to train on batches of ``batch_rows``.

    Parameters, gradient and Adam's two moments (four flat vectors), and a
    batch's activations and deltas; Python ints, so absurd widths do not
    overflow.  Callers compare it with memory before building the network.
    """
    units = [int(u) for u in layer_units]
    n_params = sum(p * q + q for p, q in zip(units[:-1], units[1:]))
    return np.dtype(dtype).itemsize * (4 * n_params + 2 * int(batch_rows) * sum(units))


class DenseNetwork:
    """A stack of dense layers over one flat parameter vector.

    Parameters
    ----------
    layer_units : list of int
        Widths, input first: [n_in, h1, ..., n_out].
    hidden_activation : str
        Activation of every hidden layer (a key of ``ACTIVATIONS``).
    output_activation : str
        Activation applied by ``forward`` to the last layer ("identity" when a
        loss kernel takes the logits).
    dtype : float32 or float64
    """

    def __init__(self, layer_units, hidden_activation, output_activation, dtype):
        self.layer_units = [int(u) for u in layer_units]
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.dtype = np.dtype(dtype)
        shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        n_w = sum(p * q for p, q in shapes)
        n_b = sum(q for _, q in shapes)
        self.theta = np.zeros(n_w + n_b, dtype=self.dtype)
        self.grad = np.zeros_like(self.theta)
        self.coefs, self.intercepts = self._views(self.theta)
        self.grad_coefs, self.grad_intercepts = self._views(self.grad)
        self._buffers = {}

    def _views(self, flat):
        coefs, intercepts, pos = [], [], 0
        pairs = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        for p, q in pairs:
            coefs.append(flat[pos:pos + p * q].reshape(p, q))
            pos += p * q
        for _, q in pairs:
            intercepts.append(flat[pos:pos + q])
            pos += q
        return coefs, intercepts

    @property
    def n_layers(self):
        return len(self.layer_units) - 1

    def set_params(self, coefs, intercepts):
        """Copy weights and biases (lists of arrays) into the flat vector."""
        for dst, src in zip(self.coefs + self.intercepts, list(coefs) + list(intercepts)):
            dst[...] = src

    def init_glorot(self, rng):
        for i, (p, q) in enumerate(zip(self.layer_units[:-1], self.layer_units[1:])):
            W, b = glorot_uniform(rng, p, q, self.hidden_activation)
            self.coefs[i][...] = W
            self.intercepts[i][...] = b

    def _activation_codes(self):
        hidden = ACTIVATIONS[self.hidden_activation]
        return [hidden] * (self.n_layers - 1) + [ACTIVATIONS[self.output_activation]]

    def _batch_buffers(self, n):
        """Activation and delta arrays for a batch of n rows, reused across batches.

        Two sizes are kept (the full batch and the last, shorter one); any
        other size replaces them, so memory stays bounded.
        """
        bufs = self._buffers.get(n)
        if bufs is None:
            if len(self._buffers) >= 2:
                self._buffers.clear()
            acts = [np.empty((n, q), dtype=self.dtype) for q in self.layer_units[1:]]
            deltas = [np.empty((n, p), dtype=self.dtype) for p in self.layer_units[:-1]]
            bufs = self._buffers[n] = (acts, deltas)
        return bufs

    def forward(self, X, n_threads):
        """Activations of every layer for input X; the last is the output.

        The returned arrays are buffers reused by the next call with as many
        rows: copy what must outlive it.
        """
        acts, _ = self._batch_buffers(X.shape[0])
        layer_in = X
        for W, b, out, code in zip(self.coefs, self.intercepts, acts,
                                   self._activation_codes()):
            _dense.dense_forward(layer_in, W, b, out, code, n_threads)
            layer_in = out
        return [X] + acts

    def backward(self, activations, delta_out, l2, n_threads, input_grad=False):
        """Fill ``self.grad`` from dL/dZ of the last layer (``delta_out``).

        ``l2`` multiplies the weights in their gradient (the penalty
        l2/2 ||W||^2).  With ``input_grad`` the gradient with respect to the
        network's input is returned (GAN generator and VAE encoder need it).
        """
        codes = self._activation_codes()
        _, deltas = self._batch_buffers(delta_out.shape[0])
        empty = np.empty((0, 0), dtype=self.dtype)
        delta = delta_out
        for i in range(self.n_layers - 1, -1, -1):
            if i > 0:
                prev, prev_code = deltas[i], codes[i - 1]
            elif input_grad:
                prev, prev_code = deltas[0], ACTIVATIONS["identity"]
            else:
                prev, prev_code = empty, 0
            _dense.dense_backward(activations[i], self.coefs[i], delta,
                                  self.grad_coefs[i], self.grad_intercepts[i],
                                  prev, prev_code, l2, n_threads)
            delta = prev
        return deltas[0] if input_grad else None

    def squared_weight_norm(self):
        n_w = sum(c.size for c in self.coefs)
        w = self.theta[:n_w]
        return float(np.dot(w, w))


class Adam:
    """Adam (Kingma & Ba 2015) over a flat vector, scikit-learn's step size rule."""

    def __init__(self, size, dtype, learning_rate_init=0.001, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate_init
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.m1 = np.zeros(size, dtype=dtype)
        self.m2 = np.zeros(size, dtype=dtype)

    def step(self, theta, grad, n_threads):
        self.t += 1
        self.learning_rate = (self.learning_rate_init
                              * np.sqrt(1 - self.beta_2 ** self.t)
                              / (1 - self.beta_1 ** self.t))
        _dense.adam_step(theta, grad, self.m1, self.m2, self.learning_rate,
                         self.beta_1, self.beta_2, self.epsilon, n_threads)

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True


class SGD:
    """SGD with (Nesterov) momentum and scikit-learn's learning-rate schedules."""

    def __init__(self, size, dtype, learning_rate_init=0.1, lr_schedule="constant",
                 momentum=0.9, nesterov=True, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum, self.nesterov, self.power_t = momentum, nesterov, power_t
        self.velocity = np.zeros(size, dtype=dtype)

    def step(self, theta, grad, n_threads):
        _dense.sgd_step(theta, grad, self.velocity, self.learning_rate,
                        self.momentum, self.nesterov, n_threads)

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.learning_rate = (float(self.learning_rate_init)
                                  / (time_step + 1) ** self.power_t)

    def trigger_stopping(self, msg, verbose):
        """'adaptive' divides the rate by 5 on a plateau, down to 1e-6."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


NON_FINITE_MESSAGE = (
    "The training loss became {value} at epoch {epoch}: the optimization "
    "diverged. The likely cause is a learning rate too high "
    "(learning_rate_init={lr}); lower it, or scale the input features."
)
