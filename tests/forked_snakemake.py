"""Snakemake runs forked from a process that has imported Snakemake once.

A dry run of the tiny DAG takes about 4.8 s in a fresh interpreter on 2 cores, half of it
importing Snakemake and its plugins (the SLURM plugin imports pandas); forked from a
process that has already imported them, the same dry run takes about 1.7 s, and
``tests/test_reruns.py`` plans some 170 of them; the bad-config corpus
(``tests/test_bad_configs.py``) makes some 40 runs that must stop before their first job.
Each run is a fresh fork in its own session, so no Snakemake state leaks from one run
into the next and a timeout ends the jobs a run started. The forking server is a process of its
own: forking pytest itself would copy its threads (the SLURM test's background run).

    result = snakemake_forked(workdir, ["all", "--dry-run", "--configfile", "tiny.yaml"])
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _serve() -> None:
    """Answer one JSON request per stdin line: fork, run Snakemake's CLI, reply its output."""
    import snakemake.cli
    import snakemake.scheduling.job_scheduler
    from snakemake_interface_executor_plugins.registry import ExecutorPluginRegistry

    ExecutorPluginRegistry().collect_plugins()
    for line in sys.stdin:
        request = json.loads(line)
        with tempfile.TemporaryDirectory() as folder:
            out, err = Path(folder) / "stdout", Path(folder) / "stderr"
            pid = os.fork()
            if pid == 0:
                os.setsid()
                _run_in_child(request, out, err, snakemake.cli.main)
            reply = {
                "returncode": _wait(pid, request.get("timeout")),
                "stdout": out.read_text(errors="replace"),
                "stderr": err.read_text(errors="replace"),
            }
        print(json.dumps(reply), flush=True)


def _wait(pid: int, timeout: float | None) -> int | None:
    """The child's exit code, or None when it ran past ``timeout`` (its session killed)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, 0 if deadline is None else os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.05)


def _run_in_child(request: dict, out: Path, err: Path, main) -> None:
    os.chdir(request["cwd"])
    for stream, path in ((1, out), (2, err)):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), stream)
    code = 0
    try:
        main(request["args"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
        if exit_.code is not None and not isinstance(exit_.code, int):
            print(exit_.code, file=sys.stderr)  # what the interpreter does at exit
    except BaseException:  # a crash of Snakemake itself: its traceback is in stderr
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class ForkingServer:
    """One forking server process; ``run`` is one Snakemake invocation, serialised."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()

    def run(self, cwd: Path, args: list[str], timeout: float | None = None):
        """Snakemake's CLI on ``args`` in ``cwd``; returncode None when it timed out."""
        request = {"cwd": str(cwd), "args": args, "timeout": timeout}
        with self._lock:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the forking server stopped (see the test's stderr)")
        reply = json.loads(line)
        return subprocess.CompletedProcess(
            args, reply["returncode"], reply["stdout"], reply["stderr"]
        )

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait()


_SERVERS: queue.Queue[ForkingServer] = queue.Queue()
_STARTED: list[ForkingServer] = []
_START_LOCK = threading.Lock()


def snakemake_forked(cwd: Path, args: list[str], timeout: float | None = None, parallel: int = 2):
    """Run Snakemake with ``args`` in ``cwd`` on one of ``parallel`` shared servers."""
    with _START_LOCK:
        if len(_STARTED) < parallel and _SERVERS.empty():
            server = ForkingServer()
            _STARTED.append(server)
            _SERVERS.put(server)
    server = _SERVERS.get()
    try:
        return server.run(cwd, args, timeout)
    finally:
        _SERVERS.put(server)


@atexit.register
def _close_servers() -> None:
    for server in _STARTED:
        server.close()


if __name__ == "__main__":
    _serve()
