"""Neural generators for tables: a variational autoencoder and a GAN on the shared dense network."""

from gdcore.generative.neural._gan import GAN
from gdcore.generative.neural._vae import VAE

__all__ = ["GAN", "VAE"]
