"""``python -m gdcore``: the command line of ``gdcore.cli``."""

from gdcore.cli import main

raise SystemExit(main())
