"""Refuse an allocation that cannot fit before trying it.

An absurd size (a hidden layer of 2**31 units, a category code of 1e12)
would otherwise make NumPy attempt terabytes: a MemoryError after a long
wait, or the kernel's out-of-memory killer.  What is refused is what exceeds
the machine's physical memory, the most any fit could use.
"""

import os

# Where the operating system does not report physical memory (sysconf is
# POSIX): a bound no workstation reaches, so only truly absurd sizes fail.
UNKNOWN_MEMORY_BYTES = 2**40


def physical_memory_bytes():
    """Return the machine's physical memory in bytes (UNKNOWN_MEMORY_BYTES if unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return UNKNOWN_MEMORY_BYTES


def refuse_absurd_allocation(n_bytes, what, remedy):
    """Raise a ValueError if ``n_bytes`` exceed physical memory; ``what`` needs them.

    ``n_bytes`` may be a Python int of any size or a float (no overflow).
    """
    limit = physical_memory_bytes()
    if n_bytes > limit:
        raise ValueError(
            f"{what} would need {n_bytes / 2**30:.3g} GiB, more than this machine's "
            f"{limit / 2**30:.3g} GiB of memory: {remedy}"
        )
