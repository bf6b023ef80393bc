"""hmmlearn's k-means initialization of the Gaussian means, independent of the thread count.

scikit-learn's ``KMeans`` sums its centres over chunks of rows spread on its
own OpenMP threads, so its answer changes in the last bits with
``OMP_NUM_THREADS``, and EM carries that difference on to every fitted
parameter.  Run on one OpenMP thread it gives the same centres whatever the
thread count; the initialization is one k-means per fit (``n_init=10`` starts,
as hmmlearn), small next to EM.
"""

from sklearn.cluster import KMeans
from threadpoolctl import ThreadpoolController

_CONTROLLER = None


def kmeans(X, n_clusters, random_state):
    """Fit ``KMeans(n_clusters, random_state, n_init=10)`` on one OpenMP thread; return it."""
    global _CONTROLLER
    if _CONTROLLER is None:
        # Made once: building a controller scans the loaded libraries.
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="openmp"):
        return KMeans(n_clusters=n_clusters, random_state=random_state, n_init=10).fit(X)
