"""Running the tasks in parallel, with a progress bar that says how long is left.

Tasks go to joblib's process pool (loky): the learning-curve fits of small
models are too short for their own OpenMP threads to pay, so parallelism
across splits is what uses the cores; loky limits each worker's OpenMP and
BLAS threads so that workers x threads <= cores.  Each task carries an
estimated cost (``experiments.task_cost``); the remaining time is the
elapsed time scaled by the estimated work left.
"""

import sys
import time

from joblib import Parallel, delayed


class Progress:
    """A one-line progress bar on stderr with the time left (a line per 10% when not a tty)."""

    def __init__(self, total, stream=None, enabled=True, estimate=None):
        self.total, self.done, self.enabled = max(float(total), 1e-9), 0.0, enabled
        self.estimate = estimate
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1
        self.start = time.perf_counter()

    def __call__(self, what, weight=1.0):
        """Count ``weight`` of finished work, ``what``, and redraw the bar."""
        self.done += weight
        if not self.enabled:
            return
        frac = min(self.done / self.total, 1.0)
        elapsed = time.perf_counter() - self.start
        if frac < 0.1 and self.estimate is not None:
            # The first tasks to finish are the cheap ones, and pay for the
            # workers' start: until a tenth is done, trust the up-front estimate.
            left = max(self.estimate - elapsed, 0.0)
        else:
            left = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        line = f"[{bar}] {frac:4.0%} {elapsed:5.0f} s, ~{left:.0f} s left  {what}"
        if self.tty:
            self.stream.write("\r" + line[:110].ljust(110))
            if frac >= 1.0:
                self.stream.write("\n")
        elif int(frac * 10) != self._last_decile:
            self._last_decile = int(frac * 10)
            self.stream.write(line + "\n")
        self.stream.flush()


def run_parallel(function, tasks, n_jobs, progress, costs, labels):
    """``[function(*task) for task in tasks]`` on ``n_jobs`` processes, in task order.

    Returns (results, interrupted): on Ctrl-C the results so far come back,
    so that the report can still be written from them.
    """
    if n_jobs == 1:
        outputs = (function(*t) for t in tasks)
    else:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator")
        outputs = parallel(delayed(function)(*t) for t in tasks)
    results = []
    try:
        for result, cost, label in zip(outputs, costs, labels):
            results.append(result)
            progress(label, cost)
    except KeyboardInterrupt:
        return results, True
    return results, False


def message(stream, text, enabled=True):
    """Write one line to the progress stream."""
    if enabled:
        (stream or sys.stderr).write(text + "\n")
        (stream or sys.stderr).flush()
