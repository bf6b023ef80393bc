"""``python -m gdcore.compare``: the ``gdcore compare`` command."""

import sys

from gdcore.compare.command import main

if __name__ == "__main__":
    sys.exit(main())
