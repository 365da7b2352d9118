"""Tables as HTML pages, so the Snakemake report shows them inline instead of as files.

The HTML is made from the Markdown rendering of a table (the same cells, notes and
caption), with the ``markdown`` package's pipe-table extension: one source per table, so
the two can never disagree.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import markdown

from eobench.io import write_text

#: Light styling that keeps wide tables readable inside the report's frame.
_STYLE = """
body { font-family: system-ui, sans-serif; font-size: 14px; margin: 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; }
th, td { border-bottom: 1px solid #ccc; padding: 3px 8px; white-space: nowrap; }
th { background: #f3f3f3; position: sticky; top: 0; }
tr:hover td { background: #fafae6; }
p { max-width: 60em; }
"""


def html_page(title: str, body: str) -> str:
    """A standalone HTML page around ``body`` (already HTML), with the report's style."""
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def markdown_to_html(text: str, title: str) -> str:
    """A standalone HTML page of Markdown ``text`` (pipe tables rendered as tables)."""
    return html_page(title, markdown.markdown(text, extensions=["tables"], output_format="html"))


def csv_to_html(
    csv_path: str | os.PathLike, html_path: str | os.PathLike, caption: str, significant: int = 4
) -> None:
    """An HTML page of a CSV result: its caption (reStructuredText, as the report's
    captions), then the table, numbers to ``significant`` digits (the CSV keeps full
    precision)."""
    import pandas as pd
    from docutils.core import publish_parts

    frame = pd.read_csv(csv_path)
    table = frame.to_html(
        index=False, na_rep="", float_format=lambda v: f"{v:.{significant}g}", border=0
    )
    caption_html = publish_parts(caption, writer="html")["body"]
    source = f"<p><code>{html.escape(str(csv_path))}</code></p>"
    write_text(html_path, html_page(Path(csv_path).stem, caption_html + source + table))


def write_markdown_as_html(
    markdown_path: str | os.PathLike, html_path: str | os.PathLike, title: str | None = None
) -> None:
    """Write the HTML page of the Markdown file ``markdown_path`` to ``html_path``."""
    source = Path(markdown_path)
    text = source.read_text(encoding="utf-8")
    write_text(html_path, markdown_to_html(text, title or source.stem.replace("_", " ")))
