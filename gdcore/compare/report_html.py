"""report.html: one self-contained page (styles inline, plots as data URIs).

A reader opens one file in a browser, mails it, attaches it to an issue: it
must need nothing beside it.  No script, no external font or stylesheet, so
it loads anywhere without console errors; ``<section id=...>`` per section
(the ids of ``report_content.SECTIONS``) and a table of contents.
"""

import base64
import html
import os
import re

from gdcore.compare.report_content import sections

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1050px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; }
nav { background: #f7f7f7; padding: 0.5em 1em; border-radius: 4px; font-size: 13px; }
nav a { margin-right: 1em; } code { background: #f2f2f2; padding: 0 3px; }
.table-wrap { overflow-x: auto; }
"""


def _inline(text):
    """Escape, then render `code` spans (the only Markdown the content uses)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(text)))


def _image(out_dir, name, alt):
    with open(os.path.join(out_dir, name), "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def render(results, timings, figures, out_dir):
    """Return the HTML text of the report (``out_dir`` holds the PNGs to embed)."""
    parts = sections(results, timings, figures)
    title = html.escape(parts[0][1])
    body = ["<nav>" + " ".join(f'<a href="#{sid}">{html.escape(t)}</a>'
                                for sid, t, _ in parts[1:]) + "</nav>"]
    for i, (sid, heading, blocks) in enumerate(parts):
        tag = "h1" if i == 0 else "h2"
        out = [f'<section id="{sid}">', f"<{tag}>{html.escape(heading)}</{tag}>"]
        if i == 0:
            out.append(body[0])
        for block in blocks:
            kind = block[0]
            if kind == "p":
                out.append(f"<p>{_inline(block[1])}</p>")
            elif kind == "list":
                out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in block[1])
                           + "</ul>")
            elif kind == "figure":
                out.append(_image(out_dir, block[1], block[2]))
            elif kind == "table":
                head = "".join(f"<th>{html.escape(str(h))}</th>" for h in block[1])
                rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row)
                               + "</tr>" for row in block[2])
                out.append(f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
                           f"<tbody>{rows}</tbody></table></div>")
        out.append("</section>")
        body.extend(out)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body[1:]) + "\n</body>\n</html>\n")


def write(results, timings, figures, out_dir):
    """Write report.html to ``out_dir``; return its path."""
    path = os.path.join(out_dir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(results, timings, figures, out_dir))
    return path
