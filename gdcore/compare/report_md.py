"""report.md: the report's sections (report_content) as Markdown, figures as linked PNGs."""

import os

from gdcore.compare.report_content import sections


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(results, timings, figures):
    """Return the Markdown text of the report."""
    lines = []
    for i, (_, title, blocks) in enumerate(sections(results, timings, figures)):
        lines += [("# " if i == 0 else "## ") + title, ""]
        for block in blocks:
            kind = block[0]
            if kind == "p":
                lines += [block[1], ""]
            elif kind == "list":
                lines += [f"- {item}" for item in block[1]] + [""]
            elif kind == "figure":
                lines += [f"![{block[2]}]({block[1]})", ""]
            elif kind == "table":
                header, rows = block[1], block[2]
                lines += ["| " + " | ".join(map(_cell, header)) + " |",
                          "|" + "---|" * len(header)]
                lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows] + [""]
    return "\n".join(lines).rstrip() + "\n"


def write(results, timings, figures, out_dir):
    """Write report.md to ``out_dir``; return its path."""
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as f:
        f.write(render(results, timings, figures))
    return path
