"""``python -m gdcore``: ``info`` (the build) and ``bench`` (gdcore against its peers)."""

import argparse
import sys

from gdcore._show_config import show_config


def _cmd_info(args):
    show_config()
    return 0


def _cmd_bench(args):
    from gdcore.benchmarks import FAMILIES, format_table, load_cases, run_cases

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
            c.repeat = args.repeat
    show_config()
    print()
    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    results = run_cases(cases, progress=progress)
    print(format_table(results))
    print("\nspeed-up = peer time / gdcore time (median of repeats, same process).")
    return 0


def build_parser():
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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)
