"""A corpus of bad configs, each run through the real workflow: one line naming the key.

Each file of ``tests/configs/bad/`` holds one mistake and, in its first line, the message
it must give: ``# expect: <the text after "error: ">`` for our checks, or
``# snakemake: <message>`` where Snakemake itself rejects the file before the workflow
runs (YAML that does not parse, or is not a mapping: Snakemake reads --configfile while
parsing its command line and prints ``WorkflowError:`` and a line of its own there).

Every case is a real run (``snakemake all_tables --cores 1``), not a dry run: a dry run
writes nothing even when the config is accepted, so only a run shows that the check
stops the workflow before its first job. The cases run in parallel, each in its own copy
of the workflow, under a timeout, so an accepted config fails its case instead of running
the whole DAG. They are forked from a process that has imported Snakemake, like the rerun
cases' dry runs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, copy_workflow
from forked_snakemake import snakemake_forked

CORPUS = REPO / "tests" / "configs" / "bad"
CASES = sorted(path.stem for path in CORPUS.glob("*.yaml"))
#: A rejected config stops in seconds; an accepted one would start the default DAG.
TIMEOUT_S = 240


@dataclass
class Outcome:
    returncode: int | None  # None: timed out, the config was accepted
    output: str  # stdout and stderr
    written: list[str]  # results/ and resources/ if the run created them


def expected_message(case: str) -> tuple[str, str]:
    """("expect" or "snakemake", the message) from the first line of a corpus file."""
    first = (CORPUS / f"{case}.yaml").read_text().splitlines()[0]
    source, _, message = first.removeprefix("# ").partition(": ")
    assert source in ("expect", "snakemake") and message, f"{case}.yaml: no expected message"
    return source, message


def run_case(root: Path, case: str) -> Outcome:
    workdir = copy_workflow(root / case)
    args = ["all_tables", "--cores", "1", "--configfile", f"tests/configs/bad/{case}.yaml"]
    result = snakemake_forked(workdir, args, timeout=TIMEOUT_S)
    written = [name for name in ("results", "resources") if (workdir / name).exists()]
    return Outcome(result.returncode, result.stdout + result.stderr, written)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("bad_configs")
    # Forked from servers that have imported Snakemake (tests/forked_snakemake.py), a run
    # starts in about a third of a fresh interpreter's time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(lambda case: run_case(root, case), CASES), strict=True))


def test_the_corpus_covers_every_kind_of_mistake():
    kinds = ("unknown", "wrong_type", "out_of_range", "not_defined", "missing", "empty", "yaml")
    for kind in kinds:
        assert any(kind in case for case in CASES), f"no case of {kind}"


@pytest.mark.parametrize("case", CASES)
def test_a_bad_config_stops_with_one_line_and_writes_nothing(outcomes, case):
    outcome = outcomes[case]
    assert outcome.returncode is not None, f"{case}: accepted, the run started:\n{outcome.output}"
    assert outcome.returncode != 0
    assert "Traceback" not in outcome.output, outcome.output
    assert not outcome.written, f"{case}: the run wrote {outcome.written}"
    source, message = expected_message(case)
    lines = outcome.output.splitlines()
    if source == "expect":
        errors = [line for line in lines if line.startswith("error:")]
        assert len(errors) == 1, outcome.output
        assert errors[0].startswith(f"error: {message}"), outcome.output
    else:
        assert any(line.startswith(message) for line in lines), outcome.output
