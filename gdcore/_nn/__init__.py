"""The dense network shared by the MLP, the VAE and the GAN: layers, losses, optimizers."""
