"""The ``gdcore compare`` command line: its flags and what it prints.

``gdcore.cli`` registers the subcommand with ``add_arguments`` and runs it
with ``run_from_args``; ``python -m gdcore.compare`` does the same alone.
"""

import argparse
import os
import sys

from gdcore.compare.reproducibility import command_line


def add_arguments(p):
    """Add the flags of ``gdcore compare`` to the (sub)parser ``p``."""
    p.add_argument("--dataset", default="breast_cancer",
                   help="iris, wine, digits, breast_cancer (default) or PATH.csv")
    p.add_argument("--target", help="the label column of a CSV dataset")
    p.add_argument("--sep", help="the CSV's column separator (default: sniffed; "
                                 "'whitespace' for runs of spaces or tabs)")
    p.add_argument("--features", nargs="+", metavar="COL", help="use only these columns")
    p.add_argument("--drop", nargs="+", metavar="COL", help="leave these columns out")
    p.add_argument("--categorical", nargs="+", metavar="COL",
                   help="numeric-looking columns that are categories (codes)")
    p.add_argument("--out", default="gdcore-report", help="output folder")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    p.add_argument("--splits", type=int, default=20, help="random splits per size")
    p.add_argument("--sizes", type=int, default=10, help="training-set sizes")
    p.add_argument("--models", nargs="+", help="only these models (by name)")
    p.add_argument("--jobs", type=int, default=-1,
                   help="worker processes across splits (default -1: every core)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run_from_args(args, argv=None):
    """Run the comparison the parsed ``args`` ask for, print a summary; return the status."""
    from gdcore.compare import run

    argv = sys.argv[2:] if argv is None else argv
    try:
        results = run(args.dataset, target=args.target, out_dir=args.out, seed=args.seed,
                      n_splits=args.splits, n_sizes=args.sizes, models=args.models,
                      progress=not args.quiet, sep=args.sep, features=args.features,
                      drop=args.drop, categorical=args.categorical, n_jobs=args.jobs,
                      command=command_line(argv))
    except ValueError as exc:
        print(f"gdcore compare: {exc}", file=sys.stderr)
        return 2
    print(f"{'model':<22} {'family':<15} {'asymptotic error (95% interval)':>32} "
          f"{'size within 0.01':>17}")
    base = results["baseline"]
    rows = list(results["models"].items()) + [("Majority class", base)]
    for name, m in rows:
        lo, hi = m["asymptotic_error_interval"]
        within = m["size_within_tolerance"]
        print(f"{name:<22} {m['family']:<15} {m['asymptotic_error']:>13.4f} "
              f"[{lo:.4f}, {hi:.4f}] {'' if within is None else within:>17}")
    for w in results["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    if results["failures"]:
        print(f"{len(results['failures'])} fits failed; reasons in the report.",
              file=sys.stderr)
    print(f"\nreport: {args.out}/report.html (report.md, plots and results.json beside it)")
    if not os.path.exists(os.path.join(args.out, "learning_curves.png")):
        print("no plots: matplotlib is not installed (pip install 'gdcore[plot]')",
              file=sys.stderr)
    return 0


def main(argv=None):
    """Parse ``argv`` (default ``sys.argv[1:]``) and run; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = add_arguments(argparse.ArgumentParser(
        prog="gdcore compare",
        description="generative vs discriminative classifiers side by side, with a report"))
    return run_from_args(parser.parse_args(argv), argv)
