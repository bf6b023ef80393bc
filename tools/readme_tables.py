"""Write README.md's speed and growth tables from the bench's results file.

    gdcore bench svm --results benches/results.json     # measure (merges rows)
    gdcore bench svm --growth --results benches/results.json
    python tools/readme_tables.py                        # rewrite the tables
    python tools/readme_tables.py --check                # exit 1 if README is stale

Each table sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``
in README.md; what is between the markers is replaced, the rest is left alone.
"""

import argparse
import os
import re
import sys

from gdcore.bench import results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLES = {"speed": results.speed_table, "growth": results.growth_table}


def render(readme, rows):
    """Return ``readme`` with every marked table made anew from ``rows``."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n)(?:.*?\n)?(<!-- /bench:{name} -->)", re.S)
        if not pattern.search(readme):
            raise ValueError(f"README.md has no <!-- bench:{name} --> ... markers")
        table = make(rows)
        readme = pattern.sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(2), readme)
    return readme


def main(argv=None):
    """Rewrite (or with ``--check`` verify) the README's tables; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if README.md differs from what the results file gives")
    parser.add_argument("--results", default=os.path.join(ROOT, "benches", "results.json"))
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    args = parser.parse_args(argv)
    with open(args.readme, encoding="utf-8") as f:
        old = f.read()
    new = render(old, results.load(args.results))
    if args.check:
        if new != old:
            print(f"{args.readme}'s bench tables differ from {args.results}: "
                  "run python tools/readme_tables.py", file=sys.stderr)
            return 1
        return 0
    with open(args.readme, "w", encoding="utf-8") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
