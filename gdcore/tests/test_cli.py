"""The command line: its name, help, version and what bare ``gdcore`` does."""

import subprocess
import sys

import pytest

import gdcore
from gdcore import cli


def _run(*args):
    return subprocess.run([sys.executable, "-m", "gdcore", *args],
                          capture_output=True, text=True, timeout=120)


def test_bare_gdcore_prints_help_and_succeeds(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: gdcore ")
    for command in ("info", "bench", "compare"):
        assert command in out


def test_help_names_gdcore_without_rest_markup(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: gdcore [" in out
    assert "python -m gdcore" not in out
    assert "``" not in out


@pytest.mark.parametrize("command", ["info", "bench", "compare"])
def test_subcommand_help_shows_defaults_without_rest_markup(capsys, command):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert out.startswith(f"usage: gdcore {command}")
    assert "``" not in out
    if command == "compare":
        assert "(default: 20)" in out        # --splits
        assert "(default: 0)" in out         # --seed: a default of 0 is still shown
    # Flags (default False) and options that are off unless given (None) say nothing.
    assert "(default: False)" not in out and "(default: None)" not in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"gdcore {gdcore.__version__}"


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_dash_m_gdcore_is_the_same_command_line():
    bare = _run()
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.startswith("usage: gdcore ")
    version = _run("--version")
    assert version.stdout.strip() == f"gdcore {gdcore.__version__}"


def test_bench_list(capsys):
    assert cli.main(["bench", "--list"]) == 0
    families = capsys.readouterr().out.split()
    assert "naive_bayes" in families and "hmm" in families


def test_bench_match_runs_only_the_matching_cases(capsys):
    assert cli.main(["bench", "naive_bayes", "--quick", "--quiet", "--repeat", "1",
                     "--match", "gaussiannb fit"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    tasks = {line.split("|")[1].strip() for line in rows[1:]}
    assert tasks == {"GaussianNB fit"}


def test_bench_match_without_a_case_is_an_error(capsys):
    assert cli.main(["bench", "naive_bayes", "--quick", "--match", "no such case"]) == 2
    assert "no case matches" in capsys.readouterr().err
