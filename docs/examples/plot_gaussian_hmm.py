"""
Decoding hidden states with a Gaussian HMM
==========================================

A :class:`~gdcore.GaussianHMM` with three states is sampled, refitted from
the samples, and the hidden states are recovered with Viterbi.
"""


import matplotlib.pyplot as plt
import numpy as np

from gdcore import GaussianHMM

truth = GaussianHMM(n_components=3, covariance_type="diag", init_params="")
truth.startprob_ = np.array([1.0, 0.0, 0.0])
truth.transmat_ = np.array([[0.95, 0.05, 0.0], [0.0, 0.95, 0.05], [0.05, 0.0, 0.95]])
truth.means_ = np.array([[-2.0], [0.0], [2.5]])
truth.covars_ = np.array([[0.3], [0.3], [0.3]])
X, states = truth.sample(600, random_state=0)

model = GaussianHMM(n_components=3, n_iter=50, random_state=0).fit(X)
decoded = model.predict(X)
print(f"log-likelihood of the fitted model: {model.score(X):.1f}")

fig, ax = plt.subplots(2, 1, sharex=True)
ax[0].plot(X[:, 0], lw=0.7)
ax[0].set_ylabel("observation")
ax[1].plot(states, label="true state")
ax[1].plot(decoded, "--", label="Viterbi (label order arbitrary)")
ax[1].set_ylabel("state")
ax[1].legend()
plt.show()
