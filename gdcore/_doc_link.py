"""Links from scikit-learn's HTML diagram of a gdcore estimator to its API page."""


class DocLinkMixin:
    """Point the "?" link of the HTML repr at gdcore's API reference, as sklearn does for its own.

    scikit-learn builds the link only for classes whose ``__module__`` starts
    with ``_doc_link_module``; ``{estimator_name}`` is the class name, which
    is also the name ``docs/api.rst`` generates each page under.
    """

    _doc_link_module = "gdcore"
    _doc_link_template = "https://gdcore.github.io/gdcore/generated/gdcore.{estimator_name}.html"
