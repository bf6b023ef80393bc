"""
Generating tabular data with a GAN
==================================

A :class:`~gdcore.GAN` learns two interleaved half-moons and generates new
points. A short fit on a small table: a few seconds.
"""


import matplotlib.pyplot as plt
from sklearn.datasets import make_moons

from gdcore import GAN

X, _ = make_moons(n_samples=1000, noise=0.05, random_state=0)
gan = GAN(latent_dim=4, generator_hidden_layer_sizes=(64, 64),
          discriminator_hidden_layer_sizes=(64, 64), max_iter=100, random_state=0).fit(X)
X_new = gan.sample(1000, random_state=0)

plt.scatter(X[:, 0], X[:, 1], s=5, label="real")
plt.scatter(X_new[:, 0], X_new[:, 1], s=5, alpha=0.5, label="GAN samples")
plt.legend()
plt.show()
