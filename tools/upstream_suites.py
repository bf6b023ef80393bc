"""Run scikit-learn's and hmmlearn's own test modules against gdcore.

gdcore promises "swap the import and keep your code". This script measures
that promise with the peers' own tests: it copies their test modules from the
installed packages (never the network), rewrites each copy so that every class
gdcore provides comes from gdcore, and runs both the plain copy ("upstream")
and the rewritten one ("gdcore") with pytest. The table then compares the
tests that pass upstream with those of them that pass on gdcore.

Usage::

    python tools/upstream_suites.py                       # every module, serially
    python tools/upstream_suites.py --modules svm 'gmm_hmm*' --jobs 2
    python tools/upstream_suites.py --json out.json --keep /tmp/copies --timeout 3600

``--modules`` takes shell patterns over the module names in the table (the
test file's name without ``test_``). Both variants go through the same
rewriting of relative imports and the same ``ast.unparse``, so the only
difference between them is where the swapped classes come from.

How a copy is rewritten:

* ``from sklearn.svm import SVC, LinearSVC`` becomes ``from sklearn.svm import
  LinearSVC`` plus ``from gdcore import SVC``; ``svm.SVC``, ``hmm.GaussianHMM``,
  ``sklearn.mixture.GaussianMixture`` (any attribute of a scikit-learn or
  hmmlearn module whose name is a gdcore class) become ``gdcore.SVC`` and so on.
  The rule is by name, in every module: ``test_svm``'s ``LogisticRegression``
  and ``test_gmm_hmm``'s ``GaussianMixture`` are gdcore's too, as they would be
  in a user's code after the swap.
* Relative imports become absolute imports of the upstream package
  (``from . import normalized`` in hmmlearn's tests becomes ``from
  hmmlearn.tests import normalized``), so helpers, including a sibling test
  module's (``from .test_gmm_hmm import create_random_gmm``), stay upstream's.
* The package's conftest (``sklearn.conftest``, ``hmmlearn.tests.conftest``)
  is loaded as a plugin with ``-p``, since the copies live outside the package.
  hmmlearn's conftest seeds NumPy at random unless ``HMMLEARN_SEED`` is set;
  ``--seed`` sets it so both variants see the same data.
"""

import argparse
import ast
import fnmatch
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

UPSTREAM = ("sklearn", "hmmlearn")
VARIANTS = ("upstream", "gdcore")
PLUGINS = {"sklearn": "sklearn.conftest", "hmmlearn": "hmmlearn.tests.conftest"}
OUTCOME_CONFTEST = Path(__file__).with_name("_outcome_conftest.py")

# (package, gdcore family folder, test file paths inside the package).
# A pattern may be a glob; each entry lists the places a test file has lived
# across releases, and the first that exists is used, so that a release which
# moved or dropped a file loses that module only.
SUITES = (
    (
        "sklearn",
        "generative/naive_bayes",
        ("naive_bayes/tests/test_naive_bayes.py", "tests/test_naive_bayes.py"),
    ),
    ("sklearn", "generative/mixture", ("mixture/tests/test_gaussian_mixture.py",)),
    ("sklearn", "discriminative/neighbors", ("neighbors/tests/test_neighbors.py",)),
    ("sklearn", "discriminative/svm", ("svm/tests/test_svm.py",)),
    ("sklearn", "discriminative/tree", ("tree/tests/test_tree.py",)),
    ("sklearn", "discriminative/tree", ("ensemble/tests/test_forest.py",)),
    ("sklearn", "discriminative/linear", ("linear_model/tests/test_logistic.py",)),
    ("sklearn", "discriminative/mlp", ("neural_network/tests/test_mlp.py",)),
    (
        "sklearn",
        "discriminative/boosting",
        ("ensemble/_hist_gradient_boosting/tests/test_gradient_boosting.py",),
    ),
    ("hmmlearn", "generative/hmm", ("tests/test_gaussian_hmm.py",)),
    ("hmmlearn", "generative/hmm", ("tests/test_categorical_hmm.py",)),
    ("hmmlearn", "generative/hmm", ("tests/test_poisson_hmm.py",)),
    ("hmmlearn", "generative/hmm", ("tests/test_multinomial_hmm.py",)),
    ("hmmlearn", "generative/hmm", ("tests/test_gmm_hmm*.py",)),
    ("hmmlearn", "generative/hmm", ("tests/test_variational_*.py",)),
)


@dataclass
class Module:
    """One upstream test file: where it is, what package it belongs to, whose it is."""

    name: str
    dist: str
    family: str
    source: Path
    package: str


@dataclass
class Run:
    """The outcome of one pytest run of one variant of one module."""

    status: str
    seconds: float
    tests: dict


def find_modules():
    """Locate the test files of SUITES in the installed packages.

    ``find_spec`` finds a package without importing it, so a missing or broken
    hmmlearn costs its modules only.
    """
    modules = []
    for dist, family, candidates in SUITES:
        spec = importlib.util.find_spec(dist)
        if spec is None:
            print(f"{dist} is not installed: its modules are skipped", file=sys.stderr)
            continue
        root = Path(spec.submodule_search_locations[0])
        sources = _first_match(root, candidates)
        if not sources:
            print(f"{dist}: none of {candidates} exists, skipped", file=sys.stderr)
        for source in sources:
            package = ".".join((dist, *source.parent.relative_to(root).parts))
            name = source.stem.removeprefix("test_")
            modules.append(Module(name, dist, family, source, package))
    return modules


def _first_match(root, candidates):
    """Return the files of the first candidate pattern that matches any."""
    for pattern in candidates:
        found = sorted(root.glob(pattern))
        if found:
            return found
    return []


def gdcore_classes():
    """Return the classes gdcore exports (``__all__`` also holds functions)."""
    import gdcore

    return frozenset(name for name in gdcore.__all__ if isinstance(getattr(gdcore, name), type))


def _dotted(node):
    """Return ``a.b.c`` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_upstream(module_path):
    return module_path is not None and module_path.split(".")[0] in UPSTREAM


class _AbsoluteImports(ast.NodeTransformer):
    """Make relative imports absolute, since the copy lives outside its package."""

    def __init__(self, package):
        self.package = package

    def visit_ImportFrom(self, node):
        if node.level:
            base = self.package.rsplit(".", node.level - 1)[0]
            node.module = f"{base}.{node.module}" if node.module else base
            node.level = 0
        return node


class _SwapToGdcore(ast.NodeTransformer):
    """Take every gdcore class from gdcore, wherever the module names it.

    ``aliases`` maps each name bound by an import of an upstream module to
    the dotted path it stands for, so that ``svm.SVC`` is recognised as
    ``sklearn.svm.SVC`` and a local variable that happens to be called
    ``tree`` is not.
    """

    def __init__(self, swap, aliases):
        self.swap = swap
        self.aliases = aliases
        self.swapped = set()
        self.needs_import = False

    def visit_ImportFrom(self, node):
        if not _is_upstream(node.module):
            return node
        moved = [alias for alias in node.names if alias.name in self.swap]
        if not moved:
            return node
        self.swapped.update(alias.name for alias in moved)
        kept = [alias for alias in node.names if alias.name not in self.swap]
        new = [ast.ImportFrom(module="gdcore", names=moved, level=0)]
        if kept:
            new.insert(0, ast.ImportFrom(module=node.module, names=kept, level=0))
        return [ast.copy_location(stmt, node) for stmt in new]

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr not in self.swap or not isinstance(node.ctx, ast.Load):
            return node
        if not _is_upstream(self._resolve(_dotted(node.value))):
            return node
        self.swapped.add(node.attr)
        self.needs_import = True
        gdcore_name = ast.Name(id="gdcore", ctx=ast.Load())
        return ast.copy_location(ast.Attribute(gdcore_name, node.attr, ast.Load()), node)

    def _resolve(self, dotted):
        if dotted is None:
            return None
        root, _, rest = dotted.partition(".")
        if root not in self.aliases:
            return None
        return f"{self.aliases[root]}.{rest}" if rest else self.aliases[root]


def _import_aliases(tree):
    """Map each name an import of an upstream module binds to its dotted path."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and _is_upstream(node.module):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _insert_import_gdcore(tree):
    """Add ``import gdcore`` after the docstring and ``__future__`` imports."""
    body = tree.body
    index = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        index = 1
    while (
        index < len(body)
        and isinstance(body[index], ast.ImportFrom)
        and body[index].module == "__future__"
    ):
        index += 1
    body.insert(index, ast.Import(names=[ast.alias(name="gdcore")]))


def rewrite(source, package, swap):
    """Return the rewritten source and the gdcore classes it now uses.

    With an empty ``swap`` only the relative imports change: that is the
    upstream variant, unparsed the same way so the two differ by the swap alone.
    """
    tree = _AbsoluteImports(package).visit(ast.parse(source))
    swapper = _SwapToGdcore(swap, _import_aliases(tree))
    tree = swapper.visit(tree)
    if swapper.needs_import:
        _insert_import_gdcore(tree)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", sorted(swapper.swapped)


def prepare(modules, workdir, swap):
    """Write both variants of every module under ``workdir/<variant>/<dist>/``.

    Each directory also gets the outcome-logging conftest; ``pytest.ini`` at
    the top stops pytest from adopting an enclosing project's configuration.
    Each run takes its own directory as rootdir, so the two variants' test
    ids are the same.
    Returns the gdcore classes each module swapped.
    """
    (workdir / "pytest.ini").write_text("[pytest]\n")
    swapped = {}
    for module in modules:
        text = module.source.read_text(encoding="utf-8")
        for variant in VARIANTS:
            directory = workdir / variant / module.dist
            directory.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(OUTCOME_CONFTEST, directory / "conftest.py")
            new, names = rewrite(text, module.package, swap if variant == "gdcore" else ())
            (directory / module.source.name).write_text(new, encoding="utf-8")
            if variant == "gdcore":
                swapped[module.name] = names
    return swapped


def run_pytest(module, variant, workdir, timeout, seed):
    """Run one copied module in its own pytest process and collect its outcomes.

    The process gets its own session so that a timeout can kill it together
    with any worker processes its tests started (joblib's, for instance).
    """
    directory = workdir / variant / module.dist
    log = directory / f"{module.source.stem}.jsonl"
    log.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", module.source.name, "-q"]
    command += ["-p", "no:cacheprovider", "-p", PLUGINS[module.dist]]
    command += ["--rootdir", str(directory), "-c", str(workdir / "pytest.ini")]
    env = dict(os.environ, UPSTREAM_SUITES_LOG=str(log), HMMLEARN_SEED=str(seed))
    start = time.monotonic()
    with open(directory / f"{module.source.stem}.out", "wb") as output:
        process = subprocess.Popen(
            command,
            cwd=directory,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=timeout)
            status = "ok" if returncode in (0, 1) else f"pytest exit code {returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            status = "timeout"
    tests = read_outcomes(log)
    if any(test["outcome"] == "collection error" for test in tests.values()):
        status = "collection error"
    return Run(status, round(time.monotonic() - start, 1), tests)


# When phases disagree (a failing call, then a failing teardown), the test
# takes the outcome that comes first here.
PRECEDENCE = ("collection error", "failed", "error", "xfailed", "skipped", "xpassed", "passed")


def read_outcomes(log):
    """Fold the per-phase log lines into one outcome per test.

    A failing setup or teardown is an error, a failing call a failure; an
    xfail marker turns skipped into xfailed and passed into xpassed.
    """
    tests = {}
    if not log.exists():
        return tests
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        outcome = _phase_outcome(record)
        current = tests.get(record["nodeid"])
        if current is None or PRECEDENCE.index(outcome) < PRECEDENCE.index(current["outcome"]):
            tests[record["nodeid"]] = {"outcome": outcome, "message": record["message"]}
    return tests


def _phase_outcome(record):
    """Name the outcome of one phase of one test."""
    when, outcome = record["when"], record["outcome"]
    if when == "collect":
        return "collection error"
    if outcome == "skipped":
        return "xfailed" if record["xfail"] else "skipped"
    if outcome == "failed":
        return "failed" if when == "call" else "error"
    return "xpassed" if record["xfail"] and when == "call" else "passed"


def compare(upstream, gdcore):
    """Count, among the tests that pass upstream, what each became on gdcore.

    An xpassed test passes (hmmlearn marks its legacy GMMHMM module xfail, yet
    some of its tests pass), and an xfailed one on gdcore fails.
    """
    passed = [
        nodeid
        for nodeid, test in upstream.tests.items()
        if test["outcome"] in ("passed", "xpassed")
    ]
    counts = dict.fromkeys(("passed", "failed", "error", "skipped", "not run"), 0)
    for nodeid in passed:
        outcome = gdcore.tests.get(nodeid, {"outcome": "not run"})["outcome"]
        key = {"xpassed": "passed", "xfailed": "failed", "collection error": "error"}.get(
            outcome, outcome
        )
        counts[key] += 1
    counts["upstream passed"] = len(passed)
    return counts


def markdown(rows):
    """Return the comparison table, one row per module and a total."""
    header = (
        "| module | gdcore family | upstream passed | gdcore passed | failed | errors "
        "| skipped | not run | ratio |"
    )
    lines = [header, "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    total = dict.fromkeys(("upstream passed", "passed", "failed", "error", "skipped", "not run"), 0)
    for name, family, notes, counts in rows:
        lines.append(_row(name + notes, family, counts))
        for key in total:
            total[key] += counts[key]
    lines.append(_row("**total**", "", total))
    return "\n".join(lines)


def _row(name, family, counts):
    base = counts["upstream passed"]
    ratio = f"{counts['passed'] / base:.1%}" if base else "n/a"
    keys = ("upstream passed", "passed", "failed", "error", "skipped", "not run")
    cells = [name, family, *(str(counts[key]) for key in keys), ratio]
    return "| " + " | ".join(cells) + " |"


def _notes(upstream, gdcore):
    """Flag a run whose numbers are incomplete (timeout, collection error)."""
    flags = [
        f"{variant} {run.status}"
        for variant, run in (("upstream", upstream), ("gdcore", gdcore))
        if run.status != "ok"
    ]
    return f" ({', '.join(flags)})" if flags else ""


def select(modules, patterns):
    """Keep the modules whose name matches one of the patterns."""
    if not patterns:
        return modules
    chosen = [m for m in modules if any(fnmatch.fnmatch(m.name, p) for p in patterns)]
    if not chosen:
        names = ", ".join(m.name for m in modules)
        raise SystemExit(f"no module matches {patterns}; the modules are: {names}")
    return chosen


def run_all(modules, workdir, args):
    """Run every (module, variant) pair, ``--jobs`` at a time, reporting progress."""

    def one(job):
        module, variant = job
        run = run_pytest(module, variant, workdir, args.timeout, args.seed)
        print(
            f"{module.name} [{variant}]: {run.status}, {len(run.tests)} tests, {run.seconds} s",
            file=sys.stderr,
            flush=True,
        )
        return job, run

    jobs = [(module, variant) for module in modules for variant in VARIANTS]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        return {(module.name, variant): run for (module, variant), run in pool.map(one, jobs)}


def report(modules, runs, swapped, versions):
    """Return the markdown table and the JSON document of per-test outcomes."""
    rows, document = [], {"versions": versions, "modules": {}}
    for module in modules:
        upstream, gdcore = runs[module.name, "upstream"], runs[module.name, "gdcore"]
        counts = compare(upstream, gdcore)
        rows.append((module.name, module.family, _notes(upstream, gdcore), counts))
        document["modules"][module.name] = {
            "family": module.family,
            "source": str(module.source),
            "swapped": swapped[module.name],
            "counts": counts,
            **{variant: vars(runs[module.name, variant]) for variant in VARIANTS},
        }
    return markdown(rows), document


def versions():
    """Record what was measured: the peers' and gdcore's versions."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for dist in ("scikit-learn", "hmmlearn", "gdcore", "pytest"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = None
    return found


def parse_args(argv=None):
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modules",
        nargs="+",
        metavar="PATTERN",
        help="shell patterns over module names (default: all)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="pytest processes at a time (default 1)"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per module and variant (default 1800)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="HMMLEARN_SEED for hmmlearn's conftest (default 0)"
    )
    parser.add_argument("--json", type=Path, help="write per-test outcomes here")
    parser.add_argument(
        "--keep", type=Path, help="write the copies, logs and pytest output here and keep them"
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Copy, rewrite, run, compare; print the table."""
    args = parse_args(argv)
    modules = select(find_modules(), args.modules)
    with tempfile.TemporaryDirectory(prefix="upstream_suites_") as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        swapped = prepare(modules, workdir.resolve(), gdcore_classes())
        runs = run_all(modules, workdir.resolve(), args)
    table, document = report(modules, runs, swapped, versions())
    print(table)
    if args.json:
        args.json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
