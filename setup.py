"""Build gdcore's compiled code: one extension per ``.pyx`` under ``gdcore/``.

Each extension is named by its path (``gdcore/generative/mixture/_mixture.pyx``
is ``gdcore.generative.mixture._mixture``).

OpenMP is probed with the compiler the build will actually use, so the same
recipe works for gcc, Apple clang (with Homebrew's libomp) and MSVC.  Without
OpenMP the kernels still compile (see ``_openmp.pxd``) and run on one thread.

Environment switches:
  GDCORE_DISABLE_OPENMP=1  build without OpenMP even when it is available
  GDCORE_FAIL_NO_OPENMP=1  make a missing OpenMP a build error (wheels set it)
  GDCORE_DEBUG=1           Cython bounds/wraparound checks on, -O0 -g, debug
                           info kept (release builds link with -Wl,-S, which
                           drops it: a wheel 4-5x smaller, symbols kept for perf)
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_OPENMP_TEST = textwrap.dedent(
    """
    #include <omp.h>
    #include <stdio.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        printf("%d", omp_get_max_threads() > 0 && n > 0);
        return 0;
    }
    """
)


def _flag(name):
    return os.environ.get(name, "0").strip().lower() in ("1", "true", "yes", "on")


def _openmp_flags(compiler_type):
    """(compile_args, link_args) that enable OpenMP for this compiler family."""
    if compiler_type == "msvc":
        return ["/openmp"], []
    if sys.platform == "darwin":
        # Apple clang has no -fopenmp driver flag; it needs the preprocessor
        # recipe plus libomp (brew install libomp), found through its prefix.
        prefix = os.environ.get("LIBOMP_PREFIX") or _brew_prefix("libomp")
        cflags = ["-Xpreprocessor", "-fopenmp"]
        ldflags = ["-lomp"]
        if prefix:
            cflags.append(f"-I{prefix}/include")
            ldflags = [f"-L{prefix}/lib", f"-Wl,-rpath,{prefix}/lib", "-lomp"]
        return cflags, ldflags
    return ["-fopenmp"], ["-fopenmp"]


def _brew_prefix(formula):
    if shutil.which("brew") is None:
        return None
    try:
        out = subprocess.run(
            ["brew", "--prefix", formula], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


# gcc's -Wmaybe-uninitialized is wrong about the code Cython generates for a
# prange loop: each variable assigned in the loop body is declared lastprivate,
# and Cython initializes it to a sentinel only under an `if` that gcc cannot
# see through, so gcc reports it "may be used uninitialized" after the loop
# even though every path that reads it assigned it first (about 100 warnings,
# none real).  Silenced in these files only, where the kernels' prange loops
# are, so that the same warning elsewhere, and every other warning, still
# stands out.  Drop a file from the set when its warnings are gone.
_PRANGE_LASTPRIVATE_FILES = {
    "gdcore.discriminative.linear._linear",
    "gdcore.discriminative.neighbors._neighbors",
    "gdcore.discriminative.neighbors._neighbors_sparse",
    "gdcore.discriminative.svm._svm_predict",
    "gdcore.discriminative.svm._svm_sparse",
    "gdcore.generative.hmm._hmm",
    "gdcore.generative.hmm._hmm_categorical",
    "gdcore.generative.hmm._hmm_emissions",
    "gdcore.generative.hmm._hmm_gaussian",
    "gdcore.generative.hmm._hmm_kmeans",
    "gdcore.generative.hmm._hmm_missing",
    "gdcore.generative.mixture._mixture",
    "gdcore.generative.mixture._mixture_missing",
    "gdcore.generative.naive_bayes._naive_bayes",
}


def _is_gcc(compiler):
    """Return whether the unix compiler is GCC (clang has no -Wmaybe-uninitialized)."""
    cc = getattr(compiler, "compiler_so", None) or ["cc"]
    try:
        out = subprocess.run([cc[0], "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return "Free Software Foundation" in out.stdout and "clang" not in out.stdout.lower()


def _probe_openmp(compiler, cflags, ldflags):
    """Compile, link and run a tiny OpenMP program with the build's compiler."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp_probe.c")
        with open(src, "w") as f:
            f.write(_OPENMP_TEST)
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
            exe = os.path.join(tmp, "omp_probe")
            compiler.link_executable(objs, exe, extra_postargs=ldflags)
            if compiler.compiler_type == "msvc":
                exe += ".exe"
            out = subprocess.run([exe], capture_output=True, text=True, timeout=60)
        except Exception as exc:  # any compile/link/run failure means "no OpenMP"
            return False, str(exc)
        return out.stdout.strip() == "1", out.stderr


class BuildExtOpenMP(build_ext):
    """build_ext that adds OpenMP flags when the probe says they work."""

    def build_extensions(self):
        """Add the OpenMP, optimization and libm flags to every extension, then build."""
        ctype = self.compiler.compiler_type
        use_openmp = False
        if _flag("GDCORE_DISABLE_OPENMP"):
            print("gdcore: OpenMP disabled by GDCORE_DISABLE_OPENMP=1")
        else:
            cflags, ldflags = _openmp_flags(ctype)
            use_openmp, detail = _probe_openmp(self.compiler, cflags, ldflags)
            if not use_openmp:
                msg = f"gdcore: OpenMP not usable with this compiler ({ctype}): {detail}"
                if _flag("GDCORE_FAIL_NO_OPENMP"):
                    raise RuntimeError(msg + "\nGDCORE_FAIL_NO_OPENMP=1 makes this an error.")
                print(msg + "\ngdcore: building single-threaded kernels.")
        debug = _flag("GDCORE_DEBUG")
        gcc = ctype != "msvc" and _is_gcc(self.compiler)
        if self.parallel is None:
            # One compiler process per core: the kernels are independent.
            self.parallel = os.cpu_count() or 1
        for ext in self.extensions:
            if use_openmp:
                ext.extra_compile_args += cflags
                ext.extra_link_args += ldflags
            if ctype == "msvc":
                ext.extra_compile_args += ["/O2"] if not debug else ["/Od", "/Zi"]
            else:
                # -fno-math-errno: no kernel reads errno, and without it
                # gcc cannot vectorize sqrt (Adam's step, `gdcore bench mlp`).
                # -fno-trapping-math: no kernel reads the floating-point
                # exception flags, and without it gcc will not compute both
                # sides of a select (x * y if c else -inf), so loops with
                # one stay scalar (the SVM's dense scans).  Neither flag
                # changes a result.
                ext.extra_compile_args += (
                    ["-O0", "-g"] if debug else ["-O3"]
                ) + ["-fno-math-errno", "-fno-trapping-math", "-Wno-unreachable-code",
                     "-Wno-unused-function"]
                # Link libm explicitly: an extension that does not leaves exp
                # and log unversioned, and glibc binds them to the 2002 SVID
                # wrappers (exp@GLIBC_2.2.5), whose underflow path calls
                # __kernel_standard to set errno on every underflow: costly in
                # a GMM fit, where the responsibilities of far components
                # underflow all the time (`gdcore bench mixture`).
                ext.libraries = list(ext.libraries or []) + ["m"]
                if not debug:
                    # -S (GNU ld and Apple ld64 alike): no debug info in the
                    # extension.  Python's own CFLAGS carry -g, and the DWARF
                    # of Cython's C is ~80% of a wheel (12.4 -> 2.7 MB); the
                    # symbol table stays, so perf and gdb still name functions.
                    ext.extra_link_args += ["-Wl,-S"]
                if gcc and ext.name in _PRANGE_LASTPRIVATE_FILES:
                    ext.extra_compile_args += ["-Wno-maybe-uninitialized"]
        super().build_extensions()


def _extensions():
    debug = _flag("GDCORE_DEBUG")
    directives = {
        "language_level": "3",
        "boundscheck": debug,
        "wraparound": debug,
        "initializedcheck": debug,
        "cdivision": not debug,
        "embedsignature": True,
    }
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")]
    exts = []
    sources = glob.glob(os.path.join("gdcore", "**", "*.pyx"), recursive=True)
    for pyx in sorted(sources):
        name = os.path.splitext(pyx)[0].replace(os.sep, ".")
        exts.append(
            Extension(
                name,
                [pyx],
                include_dirs=[numpy.get_include()],
                define_macros=macros,
                extra_compile_args=[],
                extra_link_args=[],
            )
        )
    return cythonize(
        exts,
        compiler_directives=directives,
        nthreads=os.cpu_count() or 1,
        force=debug,
    )


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExtOpenMP})
