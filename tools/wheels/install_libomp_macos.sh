#!/usr/bin/env bash
# Unpack an OpenMP runtime built for an older macOS than the wheels' deployment
# target into PREFIX (include/omp.h, lib/libomp.dylib), for setup.py to find
# through LIBOMP_PREFIX.  Run by cibuildwheel's before-all on macOS.
#
# Why not `brew install libomp`: Homebrew's bottle is built for the runner's
# own macOS (14.0 on macos-14), and delocate refuses to vendor a library whose
# minimum macOS is newer than the wheel's MACOSX_DEPLOYMENT_TARGET.  This is
# scikit-learn's recipe (build_tools/wheels/build_wheels.sh): conda-forge's
# llvm-openmp 11.1.0, whose osx-64 build targets 10.9 and osx-arm64 build 11.0.
# A conda package is a tar.bz2 of the prefix, so no conda is needed to use it.
set -euo pipefail
prefix=${1:?usage: install_libomp_macos.sh PREFIX}

case "$(uname -m)" in
  x86_64) subdir=osx-64;    build=hda6cdc1_1 ;;
  arm64)  subdir=osx-arm64; build=hf3c4609_1 ;;
  *) echo "install_libomp_macos.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
url="https://anaconda.org/conda-forge/llvm-openmp/11.1.0/download/$subdir/llvm-openmp-11.1.0-$build.tar.bz2"

rm -rf "$prefix" && mkdir -p "$prefix"
curl --fail --location --retry 5 --silent --show-error "$url" | tar -xjf - -C "$prefix"
test -f "$prefix/include/omp.h" && test -f "$prefix/lib/libomp.dylib"
# The minimum macOS the dylib was built for: what delocate compares with the
# deployment target.
otool -l "$prefix/lib/libomp.dylib" | grep -A4 -E 'LC_BUILD_VERSION|LC_VERSION_MIN_MACOSX' || true
echo "libomp 11.1.0 ($subdir) in $prefix"
