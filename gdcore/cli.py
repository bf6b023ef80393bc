"""``python -m gdcore``: the command line.

``info`` (the build), ``bench`` (gdcore against its peers), ``compare``
(generative vs discriminative classifiers on a dataset).
"""

import argparse
import os
import sys

from gdcore._show_config import show_config


def _cmd_info(args):
    show_config()
    return 0


def _cmd_bench(args):
    from gdcore.bench import FAMILIES, format_table, load_cases, run_cases

    if args.list:
        print("\n".join(sorted(FAMILIES)))
        return 0
    try:
        cases = load_cases(args.families, size="quick" if args.quick else "full")
    except ValueError as exc:
        print(f"gdcore bench: {exc}", file=sys.stderr)
        return 2
    if args.repeat is not None:
        for c in cases:
            c.repeat, c.min_seconds = args.repeat, 0.0
    show_config()
    print()
    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    results = run_cases(cases, progress=progress)
    print(format_table(results))
    print("\nspeed-up = peer time / gdcore time (median of repeats, same process).")
    return 0


def _cmd_compare(args):
    from gdcore.compare import run

    try:
        results = run(args.dataset, target=args.target, out_dir=args.out, seed=args.seed,
                      n_splits=args.splits, n_sizes=args.sizes, models=args.models,
                      progress=not args.quiet)
    except ValueError as exc:
        print(f"gdcore compare: {exc}", file=sys.stderr)
        return 2
    print(f"{'model':<22} {'family':<15} {'asymptotic error':>17} {'size within 0.01':>17}")
    for name, m in results["models"].items():
        print(f"{name:<22} {m['family']:<15} {m['asymptotic_error']:>17.4f} "
              f"{m['size_within_tolerance']:>17d}")
    print(f"\nreport: {args.out}/report.md (plots and results.json beside it)")
    if not os.path.exists(os.path.join(args.out, "learning_curves.png")):
        print("no plots: matplotlib is not installed (pip install 'gdcore[plot]')",
              file=sys.stderr)
    return 0


def build_parser():
    """Return the argument parser: one subcommand per command, each with its handler."""
    parser = argparse.ArgumentParser(prog="python -m gdcore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_info = sub.add_parser("info", help="version, OpenMP, threads and BLAS of this build")
    p_info.set_defaults(func=_cmd_info)

    p_bench = sub.add_parser("bench", help="time gdcore against its peers on the same data")
    p_bench.add_argument("families", nargs="*", help="families to run (default: all)")
    p_bench.add_argument("--quick", action="store_true",
                         help="bundled datasets, a few seconds: a smoke run, not a claim")
    p_bench.add_argument("--repeat", type=int, default=None, help="timed runs per task")
    p_bench.add_argument("--list", action="store_true", help="list the families and exit")
    p_bench.add_argument("--quiet", action="store_true", help="no progress lines")
    p_bench.set_defaults(func=_cmd_bench)

    p_cmp = sub.add_parser(
        "compare", help="generative vs discriminative classifiers side by side, with a report")
    p_cmp.add_argument("--dataset", default="breast_cancer",
                       help="iris, wine, digits, breast_cancer (default) or PATH.csv")
    p_cmp.add_argument("--target", help="the label column of a CSV dataset")
    p_cmp.add_argument("--out", default="gdcore-report", help="output folder")
    p_cmp.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    p_cmp.add_argument("--splits", type=int, default=20, help="random splits per size")
    p_cmp.add_argument("--sizes", type=int, default=10, help="training-set sizes")
    p_cmp.add_argument("--models", nargs="+", help="only these models (by name)")
    p_cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    p_cmp.set_defaults(func=_cmd_compare)
    return parser


def main(argv=None):
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)
