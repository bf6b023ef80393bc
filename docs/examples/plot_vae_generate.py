"""
Generating tabular data with a VAE
==================================

A :class:`~gdcore.VAE` learns the wine table; ``sample`` decodes draws from
its prior into new rows, and ``transform`` maps rows to their latent means.
"""


import matplotlib.pyplot as plt
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from gdcore import VAE

X = StandardScaler().fit_transform(load_wine().data)
vae = VAE(latent_dim=2, hidden_layer_sizes=(32,), max_iter=200, random_state=0).fit(X)
X_new = vae.sample(300, random_state=0)
Z = vae.transform(X)

fig, ax = plt.subplots(1, 2, figsize=(9, 4))
ax[0].scatter(X[:, 0], X[:, 6], s=8, label="real")
ax[0].scatter(X_new[:, 0], X_new[:, 6], s=8, alpha=0.5, label="VAE samples")
ax[0].set_xlabel("alcohol (standardized)")
ax[0].set_ylabel("flavanoids (standardized)")
ax[0].legend()
ax[1].scatter(Z[:, 0], Z[:, 1], c=load_wine().target, s=8)
ax[1].set_title("latent means (colour: wine class, unseen by the VAE)")
plt.show()
