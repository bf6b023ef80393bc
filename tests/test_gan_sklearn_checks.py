"""scikit-learn's estimator checks for the GAN (small networks, few epochs)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore import GAN


@parametrize_with_checks([GAN(generator_hidden_layer_sizes=(8,),
                              discriminator_hidden_layer_sizes=(8,), max_iter=5)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
