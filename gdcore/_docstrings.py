"""Numpydoc docstrings assembled from entries written once.

Estimators of one family share most parameter and attribute descriptions;
each family's ``_docs`` module writes every entry once in a table and builds
its class and method docstrings with ``class_doc`` and ``method_doc``, bound
to its tables with ``functools.partial``.
"""


def numpydoc(summary, *sections):
    """Return a numpydoc docstring: ``summary``, then each (title, text) section."""
    return "\n\n".join([summary, *(f"{title}\n{'-' * len(title)}\n{text}"
                                    for title, text in sections)]) + "\n"


def class_doc(param_table, attr_table, summary, params, attrs, see_also, examples):
    """Return a class docstring listing the entries ``params`` and ``attrs``.

    The families' ``_docs`` modules write each shared entry once in their
    tables and bind them: ``functools.partial(class_doc, PARAMS, ATTRS)``.
    """
    return numpydoc(summary, ("Parameters", "\n".join(param_table[p] for p in params)),
                    ("Attributes", "\n".join(attr_table[a] for a in attrs)),
                    ("See Also", see_also), ("Examples", examples))


def method_doc(arg_table, summary, args, returns, examples, raises=None, see_also=None):
    """Decorate a method with a docstring listing the entries ``args`` of ``arg_table``."""
    optional = [(title, text) for title, text in (("Raises", raises), ("See Also", see_also))
                if text]
    def decorate(method):
        method.__doc__ = numpydoc(
            summary, ("Parameters", "\n".join(arg_table[a] for a in args)),
            ("Returns", returns), *optional, ("Examples", examples))
        return method
    return decorate
