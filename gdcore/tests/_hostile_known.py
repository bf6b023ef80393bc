"""Hostile-input cases that still fail, each with its reason: the hostile-input issues' work list.

test_hostile marks these as strict expected failures, so a fix shows up as an
unexpected pass until its line is removed here.  Every case of the suite
passes today; a case added later that cannot pass yet goes here with its
reason, as ``{"test name": {"parameter id": "reason"}}``.
"""

KNOWN_FAILURES = {}
