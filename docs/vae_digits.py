"""Render digits decoded from the prior of a VAE fitted on scikit-learn's digits.

    python docs/vae_digits.py      # writes docs/vae_digits.png

The VAE (latent_dim=8, one hidden layer of 128 units, Bernoulli decoder on
pixel intensities scaled to [0, 1]) is fitted on all 1,797 digits; 64 latent
points z ~ N(0, I) are decoded to their mean images E[x | z]
(``inverse_transform``), and the top row shows real digits for comparison.
"""

import os
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from gdcore import VAE  # noqa: E402


def main(path=None):
    """Fit the VAE and write the figure to ``path`` (default: vae_digits.png beside this file)."""
    if path is None:
        path = os.path.join(os.path.dirname(__file__), "vae_digits.png")
    X = load_digits().data / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = VAE(latent_dim=8, hidden_layer_sizes=(128,), decoder="bernoulli",
                  batch_size=64, max_iter=150, random_state=0).fit(X)
    Z = np.random.RandomState(1).standard_normal((56, 8))
    images = np.vstack([X[:8], vae.inverse_transform(Z)])
    fig, axes = plt.subplots(8, 8, figsize=(6, 6.4))
    for ax, img in zip(axes.ravel(), images):
        ax.imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_axis_off()
    fig.suptitle("gdcore VAE on digits: real (top row), decoded from the prior (below)\n"
                 f"{vae.n_iter_} epochs; ELBO {vae.score(X):.1f} (Bernoulli cross-entropy "
                 "on intensities)",
                 fontsize=9)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
