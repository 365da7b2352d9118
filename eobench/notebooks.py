"""Executing the exploration notebooks: papermill with the run's paths, then HTML.

A notebook of ``report/notebooks/`` has one cell tagged ``parameters`` (defaults for a
reader who opens it by hand); :func:`execute_notebook` injects the run's values below it
(papermill's ``injected-parameters`` cell), runs it in a kernel of this interpreter with
this repository's ``eobench`` importable, and writes the executed notebook and its HTML
rendering. Timings and other per-run metadata are removed, so the same inputs give the
same files.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from eobench.errors import EobenchError
from eobench.io import atomic_path, write_text

#: Cell id of papermill's injected parameters cell (papermill gives it a random one).
INJECTED_CELL_ID = "injected-parameters"
#: Notebook-level papermill metadata kept: what ran with which parameters.
KEPT_PAPERMILL_METADATA = ("parameters", "version")


def repository_root() -> Path:
    """The folder holding the ``eobench`` package this process imports."""
    import eobench

    return Path(eobench.__file__).resolve().parents[1]


def kernel_manager_class(socket_dir: str | os.PathLike):
    """A kernel manager that starts this interpreter's ipykernel, ``eobench`` importable.

    Whatever kernel specs are installed for the user (a ``python3`` kernel of another
    interpreter would not find ``eobench`` or this environment's packages), the kernel
    runs ``sys.executable``, with this repository first on ``PYTHONPATH`` (the rule
    scripts put it on ``sys.path`` the same way) and matplotlib's inline backend. It
    talks over Unix sockets in ``socket_dir`` rather than TCP, which other users of a
    shared node could reach.
    """
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    python_path = os.pathsep.join(
        filter(None, [str(repository_root()), os.environ.get("PYTHONPATH", "")])
    )
    spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name="Python 3 (eobench)",
        language="python",
        env={
            "PYTHONPATH": python_path,
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        },
    )

    class ThisInterpreterKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self):
            return spec

        @default("transport")
        def _transport_default(self):
            return "ipc"

        @default("ip")
        def _ip_default(self):
            return str(Path(socket_dir) / "kernel")

    return ThisInterpreterKernelManager


def path_leaves(tree: Any) -> Iterator[str]:
    """Every string of a nested dict/list of paths, in order (a rule's input files)."""
    if isinstance(tree, str):
        yield tree
    elif isinstance(tree, Mapping):
        for value in tree.values():
            yield from path_leaves(value)
    elif isinstance(tree, list | tuple):
        for value in tree:
            yield from path_leaves(value)
    else:
        raise TypeError(f"not a path, list or dict of paths: {tree!r}")


def execute_notebook(
    notebook: str | os.PathLike,
    executed: str | os.PathLike,
    html: str | os.PathLike,
    parameters: dict[str, Any],
    raw_notebook: str | os.PathLike | None = None,
    timeout: float | None = 600,
) -> None:
    """Run ``notebook`` with ``parameters``; write the executed notebook and its HTML.

    Parameters
    ----------
    notebook : path
        The source notebook; it needs a cell tagged ``parameters``.
    executed, html : path
        The executed notebook (per-run metadata removed) and its HTML rendering,
        written atomically, only when every cell ran.
    parameters : dict
        JSON-like values injected below the ``parameters`` cell, e.g. the run's paths.
    raw_notebook : path, optional
        Where papermill saves the notebook as it executes (kept when a cell fails: the
        traceback is there).
    timeout : float, optional
        Seconds a cell may run.

    Raises
    ------
    EobenchError
        The notebook is not found, has no ``parameters`` cell, or a cell raised: one
        line naming the notebook, the cell and the exception.
    """
    import nbformat

    notebook = Path(notebook)
    if not notebook.is_file():
        raise EobenchError(f"{notebook}: notebook not found")
    source = nbformat.read(notebook, as_version=4)
    if not any("parameters" in c.metadata.get("tags", []) for c in source.cells):
        raise EobenchError(f"{notebook}: no cell tagged 'parameters' to inject the run's values")
    if raw_notebook is not None:
        Path(raw_notebook).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as sockets:
        result = _papermill(notebook, parameters, raw_notebook, timeout, sockets)
    result.metadata.papermill["input_path"] = notebook.as_posix()
    clean = without_run_metadata(result)
    with atomic_path(executed) as tmp:
        nbformat.write(clean, tmp)
    write_text(html, render_html(clean, notebook.stem))


def _papermill(notebook: Path, parameters, raw_notebook, timeout, sockets: str):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        return papermill.execute_notebook(
            str(notebook),
            None if raw_notebook is None else str(raw_notebook),
            parameters=parameters,
            kernel_name="python3",
            language="python",
            progress_bar=False,
            request_save_on_cell_execute=raw_notebook is not None,
            execution_timeout=timeout,
            cwd=os.getcwd(),
            kernel_manager_class=kernel_manager_class(sockets),
        )
    except PapermillExecutionError as error:
        where = f"; traceback in {raw_notebook}" if raw_notebook else ""
        raise EobenchError(
            f"{notebook}: cell {error.exec_count} raised {error.ename}: "
            f"{error.evalue.splitlines()[0] if error.evalue else ''}{where}"
        ) from error


def without_run_metadata(notebook):
    """A copy of an executed notebook without what differs from run to run.

    Removed: cell timings and statuses (``metadata.papermill``, ``metadata.execution``),
    the notebook's start/end times, duration and output path; the injected cell gets a
    fixed id instead of papermill's random one.
    """
    import copy

    clean = copy.deepcopy(notebook)
    for cell in clean.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if INJECTED_CELL_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_CELL_ID
    papermill = clean.metadata.get("papermill", {})
    kept = {"input_path": papermill.get("input_path")}
    kept.update({k: papermill[k] for k in KEPT_PAPERMILL_METADATA if k in papermill})
    clean.metadata["papermill"] = kept
    return clean


#: JupyterLab's page without the scripts it loads from a CDN (require.js, MathJax,
#: mermaid): the page must look the same offline, and our notebooks need none of them.
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def render_html(notebook, title: str) -> str:
    """The notebook as one self-contained HTML page: images inline, nothing fetched."""
    import jinja2
    from nbconvert import HTMLExporter

    # nbconvert warns once per page that figures have no alternative text (it writes a
    # generic one); that is every figure of every notebook, not news to a reader.
    quiet = logging.getLogger("eobench.notebooks.nbconvert")
    quiet.setLevel(logging.ERROR)
    exporter = HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="offline.html.j2",
        log=quiet,
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body
