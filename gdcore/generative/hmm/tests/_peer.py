"""What every HMM test file checks against hmmlearn: the same inference from the same parameters."""

import numpy as np
import pytest

# Relative tolerance between gdcore's and hmmlearn's scores and posteriors: both
# work in float64, in different orders of summation.
RTOL = 1e-8


def assert_same_inference(g, h, X, lengths, atol=1e-10):
    """Assert that gdcore's model g and hmmlearn's h agree on inference.

    They agree on score, posteriors (to RTOL and ``atol``) and the Viterbi path
    and its log-probability; used by every HMM test file.
    """
    assert g.score(X, lengths) == pytest.approx(h.score(X, lengths), rel=RTOL)
    np.testing.assert_allclose(g.predict_proba(X, lengths), h.predict_proba(X, lengths),
                               rtol=RTOL, atol=atol)
    lp_g, path_g = g.decode(X, lengths)
    lp_h, path_h = h.decode(X, lengths)
    assert lp_g == pytest.approx(lp_h, rel=RTOL)
    np.testing.assert_array_equal(path_g, path_h)
