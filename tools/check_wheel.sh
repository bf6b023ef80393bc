#!/usr/bin/env bash
# Build gdcore's wheel and check it as a user would receive it:
#   1. `pip wheel . --no-deps`: the wheel, built in isolation from this checkout;
#   2. `auditwheel show` (Linux, where installed): its platform tag and the
#      libraries it links (a repaired wheel vendors libgomp; a local build is
#      a plain linux_* wheel, which auditwheel describes but CI's
#      cibuildwheel repairs);
#   3. `twine check --strict`: the metadata and README render on PyPI;
#   4. a fresh virtual environment gets the wheel and its dependencies, and
#      gdcore is imported and run from /tmp, away from the source tree (so an
#      in-place build cannot stand in for a missing file).
# Usage: tools/check_wheel.sh [OUT_DIR]   (PYTHON=python3.x to choose the interpreter)
# About 2-3 minutes on 2 cores, most of it compiling the kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${1:-$work/wheelhouse}
mkdir -p "$out"

echo "== build the wheel"
"$py" -m pip wheel . --no-deps --quiet -w "$out"
wheel=$(ls -t "$out"/gdcore-*.whl | head -1)
ls -l "$wheel"

echo "== what is inside"
"$py" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
exts = [n for n in names if n.endswith((".so", ".pyd"))]
need = ["gdcore/__init__.py", "gdcore/conftest.py"]
missing = [n for n in need if n not in names]
lic = [n for n in names if n.endswith("licenses/LICENSE") or n.endswith("/LICENSE")]
print(f"{len(names)} files, {len(exts)} compiled extensions, license: {lic or 'MISSING'}")
if not exts or missing or not lic:
    sys.exit(f"incomplete wheel: extensions {len(exts)}, missing {missing}, license {lic}")
PY

echo "== auditwheel show"
if [ "$(uname -s)" = Linux ] && "$py" -m auditwheel --version >/dev/null 2>&1; then
  "$py" -m auditwheel show "$wheel"
else
  echo "(skipped: auditwheel runs on Linux; pip install auditwheel)"
fi

echo "== twine check"
if "$py" -m twine --version >/dev/null 2>&1; then
  "$py" -m twine check --strict "$wheel"
else
  echo "twine is not installed (pip install twine)" >&2
  exit 1
fi

echo "== install into a fresh environment, import from outside the tree"
"$py" -m venv "$work/env"
"$work/env/bin/python" -m pip install --quiet --upgrade pip
"$work/env/bin/python" -m pip install --quiet "$wheel"
cd /tmp
"$work/env/bin/python" - <<'PY'
import gdcore
from gdcore._cy import _openmp_info  # noqa: F401  (a compiled module loads)
assert "site-packages" in gdcore.__file__, gdcore.__file__
gdcore.show_config()
import numpy as np
X = np.random.default_rng(0).normal(size=(200, 4))
y = (X[:, 0] > 0).astype(int)
assert gdcore.GaussianNB().fit(X, y).score(X, y) > 0.8
print("gdcore", gdcore.__version__, "imports and fits from", gdcore.__file__)
PY
"$work/env/bin/gdcore" --version
echo "== wheel check passed: $(basename "$wheel")"
