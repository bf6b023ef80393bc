"""``python -m gdcore``: the command line.

``info`` (the build), ``bench`` (gdcore against its peers), ``compare``
(generative vs discriminative classifiers on a dataset).
"""

import argparse
import sys

from gdcore._show_config import show_config
from gdcore.compare.command import add_arguments as add_compare_arguments


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
    from gdcore.compare.command import run_from_args

    return run_from_args(args, argv=args.argv[1:])


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
    add_compare_arguments(p_cmp)
    p_cmp.set_defaults(func=_cmd_compare)
    return parser


def main(argv=None):
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command as given, for the report's "exact command"
    return args.func(args)
