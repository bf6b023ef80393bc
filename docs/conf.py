"""Sphinx configuration of gdcore's documentation.

Build: ``python -m sphinx -W -b html docs DIR`` (``pip install ".[docs]"``).
The examples gallery (``docs/examples``) runs at build time.
"""

import os
import re

import gdcore

project = "gdcore"
author = "gdcore developers"
copyright = "2026, gdcore developers"
release = gdcore.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "compare", "examples", "**/README.md",
                    "generators_two_sample.py", "vae_digits.py"]
root_doc = "index"

# API reference: one page per public name of gdcore.__all__ (api.rst).
autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"inherited-members": False}
# numpydoc renders the docstrings; the members table would list every
# inherited scikit-learn method (get_params, set_output, ...) without a page.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Validation of the docstrings themselves (every parameter documented, a
# Returns section, Examples) is the job of gdcore/tests/test_docstrings.py,
# which lists what is still missing; the site builds meanwhile.
numpydoc_validation_checks = set()

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "hmmlearn": ("https://hmmlearn.readthedocs.io/en/stable/", None),
}
# Offline builds (GDCORE_DOCS_OFFLINE=1) skip the inventories: links to
# NumPy/SciPy/scikit-learn then stay plain text instead of failing -W.
if os.environ.get("GDCORE_DOCS_OFFLINE"):
    intersphinx_mapping = {}
    suppress_warnings = ["intersphinx"]

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # Every example runs at build time; each takes seconds.  The gallery
    # fails the build if one raises.
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "doc_module": ("gdcore",),
    # "Examples using X" on each API page (the minigallery of the class template).
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"gdcore": None},
    "matplotlib_animations": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"gdcore {release}"
html_theme_options = {
    "github_url": "https://github.com/gdcore/gdcore",
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_static_path = []
html_show_sourcelink = False

# Doctests in the docstrings and pages run with these names.
doctest_global_setup = "import numpy as np\nimport gdcore"



def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods.

    scikit-learn builds them per class for metadata routing; their docstrings
    refer to labels of scikit-learn's own documentation, and they are
    documented there.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


_SECTION_WITH_NOTE = re.compile(r"^(\s*)(Parameters|Attributes|Returns) \((.+)\)\s*$")


def _plain_section_headers(app, what, name, obj, options, lines):
    """Turn "Parameters (hmmlearn's, same defaults)" into a numpydoc section.

    Some estimator docstrings put a note in the section title, which numpydoc
    does not recognize (the section then renders as broken reST).  The note
    moves to the section's first entry; the docstrings themselves are being
    rewritten in full numpydoc form (gdcore/tests/test_docstrings.py lists
    the ones still to do), after which this hook can go.
    """
    for i, line in enumerate(lines[:-1]):
        m = _SECTION_WITH_NOTE.match(line)
        if m and set(lines[i + 1].strip()) == {"-"}:
            indent, section, _ = m.groups()
            lines[i] = indent + section
            lines[i + 1] = indent + "-" * len(section)


# A bare name ending in "_" (``coef_``) is a reST hyperlink reference; in
# prose, and in the type of a numpydoc entry ("of shape (n_features_in_,)"),
# it means a fitted attribute, so it is set as code.  The name of an entry
# ("coef_ : ndarray"), doctest lines and lines with roles or literals are left
# alone.
# An index ("n_categories_[j]") goes inside the literal: a literal may not
# end right before "[".
_BARE_ATTRIBUTE = re.compile(r"(?<![`\w])([A-Za-z][A-Za-z0-9_]*_(?:\[[^\]\s]*\])?)(?![\w`\[])")
_ENTRY = re.compile(r"^(\s*[\w*][\w, *]* : )(.*)$")


def _code_fitted_attributes(app, what, name, obj, options, lines):
    """Set bare fitted-attribute names as code (see _BARE_ATTRIBUTE)."""
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if "`" in line or stripped.startswith(("..", ">>>", "...", ":")):
            continue
        m = _ENTRY.match(line)
        if m:
            lines[i] = m.group(1) + _BARE_ATTRIBUTE.sub(r"``\1``", m.group(2))
        else:
            lines[i] = _BARE_ATTRIBUTE.sub(r"``\1``", line)


def setup(app):
    """Register the member filter and the docstring fix-up."""
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
    # Before numpydoc's own handler (priority 500), which parses the sections.
    app.connect("autodoc-process-docstring", _plain_section_headers, priority=400)
    app.connect("autodoc-process-docstring", _code_fitted_attributes, priority=400)
