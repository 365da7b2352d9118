"""What made each output: Snakemake's own records, and the provenance manifest built on them.

Snakemake stores, per output, the rule and the input files of the job that wrote it; its
``--detailed-summary`` prints them as a tab-separated table (``output_file, date, rule,
log-file(s), input-file(s), shellcmd, status, plan``). That table is the stable interface
read here, so nothing depends on the layout of ``.snakemake/metadata``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eobench.errors import EobenchError
from eobench.io import file_sha256

#: Columns of ``snakemake --detailed-summary`` (Snakemake 7 to 9).
SUMMARY_COLUMNS = (
    "output_file",
    "date",
    "rule",
    "log-file(s)",
    "input-file(s)",
    "shellcmd",
    "status",
    "plan",
)
#: Columns of the provenance manifest: one row per (output, input) pair.
MANIFEST_COLUMNS = (
    "output",
    "output_sha256",
    "rule",
    "config_hash",
    "code_version",
    "input",
    "input_sha256",
)


@dataclass(frozen=True)
class SnakemakeCall:
    """How to call Snakemake on this workflow again: the run's interpreter, its Snakefile,
    its checked config (every config file and ``--config`` value merged, defaults filled
    in) and its software deployment methods (``conda``)."""

    python: str
    snakefile: str
    config: Mapping[str, Any] = field(repr=False)
    deployment: tuple[str, ...] = ()

    def write_config(
        self, path: str | os.PathLike, config: Mapping[str, Any] | None = None
    ) -> None:
        """Write the config (or ``config``, a variant of it) as a JSON config file."""
        chosen = self.config if config is None else config
        Path(path).write_text(json.dumps(chosen, indent=1))

    def command(self, configfile: str | os.PathLike, *args: str) -> list[str]:
        """The command line: targets and options ``args`` first (the config option takes
        several values), then the Snakefile, ``configfile`` and the deployment."""
        command = [self.python, "-m", "snakemake", *args, "--snakefile", self.snakefile]
        command += ["--configfile", str(configfile)]
        if self.deployment:
            command += ["--software-deployment-method", *self.deployment]
        return command


@dataclass(frozen=True)
class JobRecord:
    """Snakemake's record of the job that wrote one output."""

    rule: str
    log: tuple[str, ...]
    #: The input files the job ran on; None when Snakemake has no record of the job.
    inputs: tuple[str, ...] | None
    #: ``ok``, or why the file is not current (``missing``, ``updated input files``, ...).
    status: str
    #: ``no update`` or ``update pending``.
    plan: str

    @property
    def current(self) -> bool:
        """Whether the file exists, has a record and nothing upstream changed since."""
        return self.status == "ok" and self.plan == "no update" and self.inputs is not None


def parse_detailed_summary(text: str) -> dict[str, JobRecord]:
    """Output file -> its :class:`JobRecord`, from ``snakemake --detailed-summary``."""
    lines = text.splitlines()
    header = "\t".join(SUMMARY_COLUMNS)
    if header not in lines:
        raise EobenchError(f"snakemake --detailed-summary printed no table (expected {header!r})")
    records = {}
    for line in lines[lines.index(header) + 1 :]:
        fields = line.split("\t")
        if len(fields) < len(SUMMARY_COLUMNS):
            continue  # a message line, not a row
        output, _date, rule, log, inputs = fields[:5]
        status, plan = fields[-2:]  # the shell command between them may hold tabs
        records[output] = JobRecord(
            rule=rule,
            log=_listed(log),
            inputs=None if inputs == "-" else _listed(inputs),
            status=status,
            plan=plan,
        )
    return records


def _listed(text: str) -> tuple[str, ...]:
    # Snakemake joins file lists with commas and writes "-" for no record.
    if text in ("", "-"):
        return ()
    return tuple(text.split(","))


def job_records(
    call: SnakemakeCall, targets: Sequence[str], workdir: str | os.PathLike = "."
) -> dict[str, JobRecord]:
    """Snakemake's records of every output in the DAG of ``targets`` in ``workdir``.

    Runs ``snakemake --detailed-summary --nolock`` with the run's Snakefile and config, so
    it works while the run that asks (a rule of it) holds the working directory's lock.
    """
    with tempfile.TemporaryDirectory(prefix="eobench-summary-") as folder:
        configfile = Path(folder) / "config.json"
        call.write_config(configfile)
        command = call.command(configfile, *targets, "--detailed-summary", "--nolock")
        result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise EobenchError(f"snakemake --detailed-summary failed in {workdir}: {last}")
    return parse_detailed_summary(result.stdout)


def job_outputs(records: Mapping[str, JobRecord], output: str) -> list[str]:
    """Every output of the job that wrote ``output`` (same rule, log and inputs)."""
    made_by = records[output]
    key = (made_by.rule, made_by.log, made_by.inputs)
    return [
        path for path, record in records.items() if (record.rule, record.log, record.inputs) == key
    ]


def require_current(records: Mapping[str, JobRecord], outputs: Iterable[str], what: str) -> None:
    """Raise a one-line error naming ``what`` unless each output is recorded and current."""
    for output in outputs:
        record = records.get(output)
        if record is None:
            raise EobenchError(f"{what}: {output} is not made by this workflow's DAG")
        if not record.current:
            reason = "no record of its job" if record.inputs is None else record.status
            raise EobenchError(
                f"{what}: {output} is not up to date ({reason}, {record.plan}); "
                "run the workflow first"
            )


def path_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, or of a folder (a Zarr store): over its files' relative paths
    and SHA-256s in sorted order, so the same tree gives the same digest anywhere."""
    path = Path(path)
    if not path.is_dir():
        return file_sha256(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path).as_posix()}\t{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def provenance_manifest(
    records: Mapping[str, JobRecord],
    outputs: Sequence[str],
    config_hash: str,
    code_version: str,
    workdir: str | os.PathLike = ".",
):
    """The provenance of ``outputs``: a tidy table, one row per (output, input).

    Each row holds the output's SHA-256, the rule that made it, the config hash and code
    version of the run, and one input with its SHA-256 (``missing`` if it is gone); an
    output without inputs gets one row with an empty input.
    """
    import pandas as pd

    require_current(records, outputs, "provenance")
    workdir = Path(workdir)
    digests: dict[str, str] = {}

    def digest(path: str) -> str:
        if path not in digests:
            exists = (workdir / path).exists()
            digests[path] = path_sha256(workdir / path) if exists else "missing"
        return digests[path]

    rows = [
        (
            output,
            digest(output),
            records[output].rule,
            config_hash,
            code_version,
            source,
            digest(source) if source else "",
        )
        for output in sorted(outputs)
        for source in records[output].inputs or ("",)
    ]
    return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
