"""Neural generators for tables: a VAE, a GAN and diffusion on the shared dense network."""

from gdcore.generative.neural._diffusion import TabularDiffusion
from gdcore.generative.neural._gan import GAN
from gdcore.generative.neural._vae import VAE

__all__ = ["GAN", "TabularDiffusion", "VAE"]
