"""The per-rule conda environments match what the rules import, pinned as pyproject.toml.

Each rule's ``conda:`` file and ``script:`` (or ``notebook:``) are read with Snakemake's
own parser. The imports of a script (or of a notebook's code cells) are followed
through the ``eobench`` modules it imports, transitively: module-level imports and
imports inside functions alike, since a rule may call any function of a module it
imports. Imports inside ``try: ... except ImportError`` (or ``ModuleNotFoundError``)
are optional: the code runs without them, so an environment may list them but need
not. ``importlib.import_module("name")`` and ``importlib.resources.files("name")``
with a literal name count as imports of that name.

Every environment must list what its rules import (the packages of the import names,
below) and nothing else, apart from python and the documented extras. Conda itself
cannot be reached on the machines CI runs on: the solve test runs where conda, mamba
or micromamba is on PATH and skips elsewhere, saying so.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import REPO
from packaging.requirements import Requirement
from packaging.version import Version

#: Import names whose conda-forge package is named otherwise; the longest dotted prefix
#: of an import decides (basemap-data installs into matplotlib's mpl_toolkits).
CONDA_PACKAGE_OF_IMPORT = {
    "PIL": "pillow",
    "mpl_toolkits": "matplotlib",
    "mpl_toolkits.basemap": "basemap",
    "mpl_toolkits.basemap_data": "basemap-data",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "skopt": "scikit-optimize",
    "torch": "pytorch",
    "yaml": "pyyaml",
}
#: conda-forge packages whose PyPI project (pyproject.toml's name) differs.
PYPI_PROJECT_OF_PACKAGE = {"pytorch": "torch"}
#: Packages an environment may list although no rule imports them, and why.
DOCUMENTED_EXTRAS = {
    "python": "the interpreter every script runs in",
    "texlive-core": "pdflatex, which rule paper_pdf runs (a program, not a Python package)",
}
#: Programs rather than Python packages: not in pyproject.toml.
PROGRAMS = {"texlive-core"}
#: What a ``notebook:`` rule's environment runs the notebook with: Snakemake executes it
#: with papermill when installed, else with nbconvert; both start an ipykernel.
NOTEBOOK_KERNEL = "ipykernel"
NOTEBOOK_RUNNERS = ("papermill", "nbconvert")
#: The torch release the test suite runs on (CI installs its wheel: .ci/run).
TESTED_TORCH = "2.13"
CHANNELS = ["conda-forge", "nodefaults"]


# -- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSoftware:
    """A rule's conda environment and the code it runs (paths inside the repository)."""

    name: str
    snakefile: Path
    conda: Path | None
    code: Path | None
    kind: str | None  # "script" or "notebook"


class _SourceFile:
    """The one method of Snakemake's SourceFile that its parser calls."""

    def __init__(self, path: Path):
        self.path = path

    def get_path_or_uri(self, secret_free: bool = True) -> str:
        return str(self.path)


def _compile_snakefile(path: Path) -> str:
    """The Python that Snakemake's parser makes of a Snakefile (nothing is run)."""
    from snakemake.parser import parse

    workflow = SimpleNamespace(sourcecache=SimpleNamespace(open=lambda source: open(source.path)))
    code, _ = parse(_SourceFile(path), workflow, {})
    return code


def _decorator_argument(decorator: ast.Call, snakefile: Path) -> str:
    if len(decorator.args) != 1 or not isinstance(decorator.args[0], ast.Constant):
        raise AssertionError(
            f"{snakefile}: {ast.unparse(decorator)} is not one string: the test cannot check it"
        )
    return decorator.args[0].value


def _directive_path(directives: dict[str, ast.Call], name: str | None, snakefile: Path):
    """The file a ``conda:``/``script:``/``notebook:`` directive names, or None."""
    if name not in directives:
        return None
    return (snakefile.parent / _decorator_argument(directives[name], snakefile)).resolve()


def rules_of(snakefile: Path) -> list[RuleSoftware]:
    """Every rule of ``snakefile`` with its ``conda:`` file and ``script:``/``notebook:``."""
    rules = []
    for node in ast.walk(ast.parse(_compile_snakefile(snakefile))):
        if not isinstance(node, ast.FunctionDef):
            continue
        directives = {
            d.func.attr: d
            for d in node.decorator_list
            if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
        }
        if "rule" not in directives:
            continue
        name = next(k.value.value for k in directives["rule"].keywords if k.arg == "name")
        kind = next((k for k in ("script", "notebook") if k in directives), None)
        conda = _directive_path(directives, "conda", snakefile)
        code = _directive_path(directives, kind, snakefile)
        rules.append(RuleSoftware(name, snakefile, conda, code, kind))
    return rules


def workflow_rules() -> list[RuleSoftware]:
    snakefiles = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
    return [rule for snakefile in snakefiles for rule in rules_of(snakefile)]


# -- imports -----------------------------------------------------------------------------


@dataclass
class Imports:
    """Dotted module names a piece of code imports: required, and optional (guarded)."""

    required: set[str] = field(default_factory=set)
    optional: set[str] = field(default_factory=set)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(
        isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names
    )


def _is_type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _literal_import(call: ast.Call) -> str | None:
    """The module of ``importlib.import_module("x")`` / ``importlib.resources.files("x")``."""
    name = ast.unparse(call.func)
    literal = call.args and isinstance(call.args[0], ast.Constant)
    if literal and name.split(".")[-1] in ("import_module", "files") and "importlib" in name:
        return call.args[0].value
    return None


class _ImportCollector(ast.NodeVisitor):
    """Imports of one module, resolving relative ones against ``package``."""

    def __init__(self, package: str):
        self.package = package
        self.imports = Imports()
        self._guarded = 0

    def _add(self, module: str) -> None:
        (self.imports.optional if self._guarded else self.imports.required).add(module)

    def visit_Try(self, node: ast.Try) -> None:
        guarded = any(_catches_import_error(h) for h in node.handlers)
        self._guarded += guarded
        for statement in node.body:
            self.visit(statement)
        self._guarded -= guarded
        for statement in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(statement)

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):  # annotations only, never run
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module
        self._add(module)
        for alias in node.names:  # `from package import module` imports that module too
            self._add(f"{module}.{alias.name}")

    def visit_Call(self, node: ast.Call) -> None:
        module = _literal_import(node)
        if module:
            self._add(module)
        self.generic_visit(node)


def imports_of_source(source: str, package: str = "") -> Imports:
    """Imports of Python ``source``, relative ones resolved within ``package``."""
    collector = _ImportCollector(package)
    collector.visit(ast.parse(source))
    return collector.imports


def notebook_source(path: Path) -> str:
    """The code cells of a notebook, IPython magics and shell escapes left out."""
    cells = json.loads(path.read_text())["cells"]
    lines = [
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    return "\n".join(lines)


def eobench_file(module: str) -> Path | None:
    """The file of an ``eobench`` module, or None (a name imported from a module)."""
    stem = REPO.joinpath(*module.split("."))
    for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _with_parents(module: str) -> list[str]:
    """Importing ``a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def third_party_imports(code: Path) -> Imports:
    """Top-level imports outside the standard library and ``eobench`` that ``code`` needs,
    following its ``eobench`` imports; an import reached only through an optional one is
    optional."""
    if code.suffix == ".ipynb":
        start = imports_of_source(notebook_source(code))
    else:
        start = imports_of_source(code.read_text())
    found = Imports()
    # Each eobench module is visited required first, so a module imported both ways
    # counts as required.
    queue = [(m, True) for m in start.required] + [(m, False) for m in start.optional]
    seen: dict[str, bool] = {}
    while queue:
        module, required = queue.pop(0)
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top == "__future__":
            continue
        if top != "eobench":
            (found.required if required else found.optional).add(module)
            continue
        for name in _with_parents(module):
            path = eobench_file(name)
            if path is None or seen.get(name) in (True, required):
                continue
            seen[name] = required or seen.get(name, False)
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            inner = imports_of_source(path.read_text(), package)
            queue += [(m, required) for m in inner.required]
            queue += [(m, False) for m in inner.optional]
    found.optional -= found.required
    return found


def conda_package(module: str) -> str:
    """The conda-forge package that provides an import name."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in CONDA_PACKAGE_OF_IMPORT:
            return CONDA_PACKAGE_OF_IMPORT[prefix]
    return parts[0].lower().replace("_", "-")


# -- environments ------------------------------------------------------------------------


@dataclass(frozen=True)
class CondaEnv:
    """An ``envs/*.yaml`` file: its channels and its pinned packages."""

    path: Path
    channels: list[str]
    pins: dict[str, str]  # package -> version


PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)\s*={1,2}\s*(?P<version>[0-9][0-9A-Za-z.]*)$")


def read_env(path: Path) -> CondaEnv:
    """Parse a conda environment file whose every dependency is ``name=version``."""
    spec = yaml.safe_load(path.read_text())
    pins = {}
    for dependency in spec["dependencies"]:
        match = PIN.match(dependency) if isinstance(dependency, str) else None
        assert match, f"{path.name}: {dependency!r} is not pinned as name=version"
        pins[match["name"].lower()] = match["version"]
    return CondaEnv(path, spec["channels"], pins)


def env_files() -> list[Path]:
    return sorted((REPO / "envs").glob("*.yaml"))


@dataclass
class EnvNeeds:
    """What the rules of one environment import (conda packages), and which rules."""

    required: dict[str, set[str]] = field(default_factory=dict)  # package -> rules
    optional: dict[str, set[str]] = field(default_factory=dict)
    rules: list[RuleSoftware] = field(default_factory=list)


#: Rule scripts that execute notebooks (papermill, in a kernel of the rule's environment):
#: the notebooks they run, whose imports the environment needs too.
NOTEBOOKS_RUN_BY = {"run_notebook.py": REPO / "report" / "notebooks"}


def code_imports(rule: RuleSoftware) -> Imports:
    """The third-party imports of a rule's code and of the notebooks it executes."""
    imports = third_party_imports(rule.code)
    folder = NOTEBOOKS_RUN_BY.get(rule.code.name)
    for notebook in sorted(folder.glob("*.ipynb")) if folder else []:
        found = third_party_imports(notebook)
        imports.required |= found.required
        imports.optional |= found.optional
    return imports


def needs_by_env() -> dict[Path, EnvNeeds]:
    needs: dict[Path, EnvNeeds] = {}
    for rule in workflow_rules():
        if rule.code is None:
            continue
        entry = needs.setdefault(rule.conda, EnvNeeds())
        entry.rules.append(rule)
        imports = code_imports(rule)
        for kind, modules in (("required", imports.required), ("optional", imports.optional)):
            for module in modules:
                getattr(entry, kind).setdefault(conda_package(module), set()).add(rule.name)
        if rule.kind == "notebook" or rule.code.name in NOTEBOOKS_RUN_BY:
            entry.required.setdefault(NOTEBOOK_KERNEL, set()).add(rule.name)
    return needs


@pytest.fixture(scope="module")
def needs():
    return needs_by_env()


def pyproject_requirements() -> dict[str, Requirement]:
    """pyproject.toml's dependencies and extras by (normalised) project name."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    listed = [*project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        listed += extra
    requirements = {}
    for line in listed:
        requirement = Requirement(line)
        requirements[requirement.name.lower().replace("_", "-")] = requirement
    requirements["python"] = Requirement(f"python{project['requires-python']}")
    return requirements


# -- tests: the analysis itself ----------------------------------------------------------


def test_imports_are_followed_through_eobench_and_guards_are_optional(tmp_path):
    script = tmp_path / "rule_script.py"
    script.write_text(
        "from eobench.workflow import run\n"
        "def main(smk):\n"
        "    from eobench.plots.sample_map import plot_sample_map\n"
    )
    imports = third_party_imports(script)
    required = {conda_package(m) for m in imports.required}
    # sample_map imports matplotlib at module level; workflow.run tries torch.
    assert {"matplotlib", "numpy"} <= required
    assert "pytorch" not in required
    assert "pytorch" in {conda_package(m) for m in imports.optional}
    assert "basemap-data" in {conda_package(m) for m in imports.optional}


def test_relative_imports_and_type_checking_blocks():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from ..other import name\n"
        "if TYPE_CHECKING:\n"
        "    import pandas\n"
        "try:\n"
        "    import scipy\n"
        "except (ValueError, ModuleNotFoundError):\n"
        "    import numpy\n"
    )
    imports = imports_of_source(source, "eobench.probes")
    assert imports.required == {
        "typing",
        "typing.TYPE_CHECKING",
        "eobench.probes",
        "eobench.probes.sibling",
        "eobench.other",
        "eobench.other.name",
        "numpy",  # the handler's own import is not guarded
    }
    assert imports.optional == {"scipy"}


def test_notebook_code_cells_are_read(tmp_path):
    notebook = tmp_path / "n.ipynb"
    cells = [
        {"cell_type": "markdown", "source": ["import nothing_here\n"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "import seaborn as sns\n"]},
    ]
    notebook.write_text(json.dumps({"cells": cells}))
    assert third_party_imports(notebook).required == {"seaborn"}


def test_every_rule_is_found_with_its_environment_and_code():
    rules = {rule.name: rule for rule in workflow_rules()}
    assert len(rules) > 30
    probe = rules["probe_embeddings"]
    assert probe.conda == REPO / "envs" / "torch.yaml"
    assert probe.code == REPO / "scripts" / "probe_embeddings.py" and probe.kind == "script"
    assert rules["all"].conda is None and rules["all"].code is None


# -- tests: the environments -------------------------------------------------------------


def test_every_rule_that_runs_code_has_an_existing_environment():
    for rule in workflow_rules():
        where = f"rule {rule.name} ({rule.snakefile.name})"
        assert (rule.code is None) == (rule.conda is None), f"{where}: code without conda:"
        if rule.code is not None:
            assert rule.conda.is_file(), f"{where}: {rule.conda} does not exist"
            assert rule.code.is_file(), f"{where}: {rule.code} does not exist"


def test_every_environment_file_is_used(needs):
    unused = [path.name for path in env_files() if path not in needs]
    assert not unused, f"envs/ files no rule uses: {unused}"


@pytest.mark.parametrize("path", env_files(), ids=lambda p: p.name)
def test_environment_lists_what_its_rules_import_and_nothing_else(path, needs):
    env = read_env(path)
    need = needs.get(path, EnvNeeds())
    missing = {p: sorted(rules) for p, rules in need.required.items() if p not in env.pins}
    assert not missing, f"{path.name} lacks packages its rules import: {missing}"
    allowed = {*need.required, *need.optional, *DOCUMENTED_EXTRAS}
    if any(rule.kind == "notebook" for rule in need.rules):
        allowed |= set(NOTEBOOK_RUNNERS)
        assert set(NOTEBOOK_RUNNERS) & set(env.pins), f"{path.name}: no notebook runner"
    unused = sorted(set(env.pins) - allowed)
    assert not unused, f"{path.name} lists packages none of its rules imports: {unused}"


@pytest.mark.parametrize("path", env_files(), ids=lambda p: p.name)
def test_environment_pins_satisfy_pyproject(path):
    env = read_env(path)
    assert env.channels == CHANNELS, f"{path.name}: channels {env.channels}, not {CHANNELS}"
    requirements = pyproject_requirements()
    for package, version in env.pins.items():
        if package in PROGRAMS:
            continue
        project = PYPI_PROJECT_OF_PACKAGE.get(package, package)
        assert project in requirements, f"{path.name}: {package} is not in pyproject.toml"
        specifier = requirements[project].specifier
        assert Version(version) in specifier, (
            f"{path.name}: {package}={version} does not satisfy pyproject's {project}{specifier}"
        )
    if "pytorch" in env.pins:
        assert env.pins["pytorch"].startswith(f"{TESTED_TORCH}."), (
            f"{path.name}: pytorch={env.pins['pytorch']}, the tests run torch {TESTED_TORCH}"
        )


def test_a_package_has_one_version_in_every_environment():
    versions: dict[str, dict[str, str]] = {}
    for path in env_files():
        for package, version in read_env(path).pins.items():
            versions.setdefault(package, {})[path.name] = version
    differing = {p: v for p, v in versions.items() if len(set(v.values())) > 1}
    assert not differing, f"packages pinned differently across envs/: {differing}"


SOLVERS = [tool for tool in ("micromamba", "mamba", "conda") if shutil.which(tool)]


@pytest.mark.skipif(
    not SOLVERS, reason="no conda, mamba or micromamba on PATH: environments not solved here"
)
@pytest.mark.parametrize("path", env_files(), ids=lambda p: p.name)
def test_environment_solves(path):
    tool = SOLVERS[0]
    create = ["create"] if tool == "micromamba" else ["env", "create"]
    command = [tool, *create, "--dry-run", "--name", "eobench-solve-check"]
    result = subprocess.run(
        [*command, "--file", str(path)], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{path.name}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"


# -- the container -----------------------------------------------------------------------

#: Where Snakemake's containerized runs look for a rule's environment in the image.
IMAGE_PREFIX = re.compile(
    r"^COPY (envs/\S+\.yaml) /conda-envs/([0-9a-f]{32})/environment\.yaml$", re.M
)


def test_dockerfile_builds_every_environment_where_snakemake_looks():
    dockerfile = (REPO / "Dockerfile").read_text()
    # Snakemake's prefix is the md5 of the file (plus post-deploy and pin files, unused).
    extras = [p.name for p in (REPO / "envs").iterdir() if p.suffix in (".sh", ".txt")]
    assert not extras, f"post-deploy or pin files this test does not hash: {extras}"
    expected = {
        f"envs/{path.name}": hashlib.md5(path.read_bytes()).hexdigest() for path in env_files()
    }
    stale = "Dockerfile is stale: regenerate it with `snakemake --containerize`"
    assert dict(IMAGE_PREFIX.findall(dockerfile)) == expected, stale
    created = re.findall(r"conda env create --prefix /conda-envs/([0-9a-f]{32}) ", dockerfile)
    assert sorted(created) == sorted(expected.values()), stale
    combined = hashlib.sha256(b"".join(path.read_bytes() for path in env_files()))
    assert f'conda_env_hash="{combined.hexdigest()}"' in dockerfile, stale


def test_the_workflow_is_containerized_by_a_config_key_before_its_rules():
    calls = [
        node
        for node in ast.walk(ast.parse(_compile_snakefile(REPO / "Snakefile")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]
    directive = [c for c in calls if c.func.attr == "global_containerized"]
    assert len(directive) == 1, "Snakefile: no containerized: directive"
    assert ast.unparse(directive[0].args[0]) == "config['resources']['container_image']"
    # It applies to the rules defined after it: every rule file but common.smk.
    includes = {ast.unparse(c.args[0]): c.lineno for c in calls if c.func.attr == "include"}
    rule_files = {name: line for name, line in includes.items() if "common.smk" not in name}
    assert rule_files and all(line > directive[0].lineno for line in rule_files.values())
