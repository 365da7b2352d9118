"""The outputs of a table rule: CSV, Markdown, LaTeX and the report's HTML view."""

from __future__ import annotations

from typing import Any

from eobench.provenance import provenance
from eobench.report.html import write_markdown_as_html
from eobench.tables.render import render_table


def write_rule_table(
    smk: Any,
    frame,
    what: str,
    record: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> None:
    """Render ``frame`` to a table rule's ``csv``/``md``/``tex`` (and ``html``) outputs.

    The rule gives the jinja2 templates as inputs ``md_template`` and ``tex_template`` and
    its settings block as ``params.settings``; ``record`` is the provenance written with
    the table (default: the settings), ``notes`` lines printed under it. ``what`` names
    the settings block in errors.
    """
    settings = dict(smk.params.settings)
    render_table(
        frame,
        smk.output.csv,
        smk.output.md,
        smk.output.tex,
        smk.input.md_template,
        smk.input.tex_template,
        settings,
        provenance(settings if record is None else record),
        what=what,
        notes=notes,
    )
    write_table_html(smk)


def write_table_html(smk: Any) -> None:
    """The rule's ``html`` output (the report's view of a table) from its ``md`` output."""
    write_markdown_as_html(smk.output.md, smk.output.html)
