"""``gdcore`` (or ``python -m gdcore``): the command line.

``info`` (the build), ``bench`` (gdcore against its peers), ``compare``
(generative vs discriminative classifiers on a dataset).
"""

import argparse
import sys

from gdcore._show_config import show_config
from gdcore._version import __version__
from gdcore.compare.command import add_arguments as add_compare_arguments

# What `gdcore --help` says: plain text, as a terminal shows it (the module
# docstring is reST, for the API docs).
DESCRIPTION = """\
Classical machine learning from both families, generative and discriminative,
compiled with OpenMP behind a scikit-learn-compatible API.
Run "gdcore COMMAND --help" for a command's options.
"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the description's line breaks; append each option's default to its help.

    Only meaningful defaults are shown: not ``None`` (an option that is off
    unless given), not ``False`` (a flag), and not where the help already says
    what the default is.
    """

    def _get_help_string(self, action):
        help_text = action.help or ""
        default = action.default
        if ("default" in help_text or default is None or default is False
                or default == argparse.SUPPRESS
                or (not action.option_strings and action.nargs not in ("?", "*"))):
            return help_text
        if isinstance(default, (list, tuple)) and not default:
            return help_text
        return help_text + " (default: %(default)s)"


def _cmd_info(args):
    show_config()
    return 0


def _cmd_bench(args):
    from gdcore.bench import FAMILIES, format_table, load_cases, run_cases

    if args.list:
        print("\n".join(sorted(FAMILIES)))
        return 0
    if args.growth:
        return _cmd_growth(args)
    skipped = []

    def on_skip(message):
        skipped.append(message)
        print(f"gdcore bench: {message}", file=sys.stderr, flush=True)

    try:
        cases = load_cases(args.families, size="quick" if args.quick else "full",
                           on_skip=on_skip)
    except ValueError as exc:
        print(f"gdcore bench: {exc}", file=sys.stderr)
        return 2
    if args.match:
        words = [m.lower() for m in args.match]
        cases = [c for c in cases
                 if any(w in f"{c.task} {c.shape} {c.peer}".lower() for w in words)]
        if not cases:
            print(f"gdcore bench: no case matches {args.match}", file=sys.stderr)
            return 2
    if args.repeat is not None:
        for c in cases:
            c.repeat, c.min_seconds = args.repeat, 0.0
    show_config()
    print()
    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    results = run_cases(cases, progress=progress, on_skip=on_skip)
    print(format_table(results))
    for message in skipped:
        print(message)
    print("\nspeed-up = peer time / gdcore time (median of repeats, same process).")
    if args.results:
        from gdcore.bench import results as results_file

        results_file.merge(args.results, [results_file.speed_row(r) for r in results])
        print(f"rows written to {args.results}")
    return 0


def _cmd_growth(args):
    from gdcore.bench import FAMILIES
    from gdcore.bench import results as results_file
    from gdcore.bench.growth import growth_rows

    unknown = [f for f in args.families if f not in FAMILIES]
    if unknown:
        print(f"gdcore bench: unknown bench families {unknown}; choose from {sorted(FAMILIES)}",
              file=sys.stderr)
        return 2
    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    rows = growth_rows(args.families or list(FAMILIES), progress=progress,
                       on_skip=lambda m: print(f"gdcore bench: {m}", file=sys.stderr))
    print(results_file.growth_table(rows))
    print("\nOne run per size and side, each in a fresh process; exponent = slope of "
          "log time on log size.")
    if args.results:
        results_file.merge(args.results, rows)
        print(f"rows written to {args.results}")
    return 0


def _cmd_compare(args):
    from gdcore.compare.command import run_from_args

    return run_from_args(args, argv=args.argv[1:])


def build_parser():
    """Return the argument parser: one subcommand per command, each with its handler."""
    parser = argparse.ArgumentParser(prog="gdcore", description=DESCRIPTION,
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"gdcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def add(name, help_text):
        return sub.add_parser(name, help=help_text, description=help_text,
                              formatter_class=_HelpFormatter)

    p_info = add("info", "version, OpenMP, threads and BLAS of this build")
    p_info.set_defaults(func=_cmd_info)

    p_bench = add("bench", "time gdcore against its peers on the same data")
    p_bench.add_argument("families", nargs="*", help="families to run (default: all)")
    p_bench.add_argument("--quick", action="store_true",
                         help="bundled datasets, a few seconds: a smoke run, not a claim")
    p_bench.add_argument("--repeat", type=int, default=None,
                         help="timed runs per task (default: at least 3, repeated "
                              "until both sides have run 1 s)")
    p_bench.add_argument("--list", action="store_true", help="list the families and exit")
    p_bench.add_argument("--quiet", action="store_true", help="no progress lines")
    p_bench.add_argument("--match", metavar="TEXT", action="append",
                         help="only the cases whose task, data or peer contains TEXT "
                              "(case-insensitive; repeat for any of several)")
    p_bench.add_argument("--growth", action="store_true",
                         help="time and memory at growing sizes, one process per run, "
                              "with the fitted time exponent")
    p_bench.add_argument("--results", metavar="FILE",
                         help="merge the rows into this JSON results file (the README's "
                              "tables are made from benches/results.json by "
                              "tools/readme_tables.py)")
    p_bench.set_defaults(func=_cmd_bench)

    p_cmp = add("compare", "generative vs discriminative classifiers side by side, with a report")
    add_compare_arguments(p_cmp)
    p_cmp.set_defaults(func=_cmd_compare)
    return parser


def main(argv=None):
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # Bare `gdcore`: what it can do, on stdout, and success (as git and
        # pip do), rather than argparse's "the following arguments are required".
        parser.print_help()
        return 0
    args.argv = argv  # the command as given, for the report's "exact command"
    return args.func(args)
