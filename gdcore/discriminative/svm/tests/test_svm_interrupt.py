"""Ctrl-C stops a long SMO solve (the loop holds no GIL, so it must look for itself)."""

import signal
import subprocess
import sys
import textwrap
import time

import pytest

# A solve that runs for minutes: noisy labels, a huge C, a tiny tolerance and
# no shrinking, with a kernel cache too small to hold a row for long.
LONG_FIT = textwrap.dedent("""
    import sys
    from sklearn.datasets import make_classification
    from gdcore import SVC
    X, y = make_classification(6000, 10, n_classes={n_classes}, n_informative=4,
                               flip_y=0.4, random_state=0)
    print("fitting", flush=True)
    try:
        SVC(C=1e4, tol=1e-10, shrinking=False, cache_size=1).fit(X, y)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("finished", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
@pytest.mark.parametrize("n_classes", [2, 3], ids=["one problem", "pairs in parallel"])
def test_ctrl_c_interrupts_a_long_fit(n_classes):
    proc = subprocess.Popen([sys.executable, "-c", LONG_FIT.format(n_classes=n_classes)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "fitting"
        time.sleep(2)               # well inside the solve
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 3 and "interrupted" in out, (proc.returncode, out)
