"""Verified downloads, and pretrained weights from a local folder, the cache or the web.

:func:`download` fetches one URL into a file: it resumes an interrupted transfer with an
HTTP ``Range`` request on the ``.part`` file, retries transient errors (connection
dropped, HTTP 5xx/408/429, timeouts) with exponential backoff, shows a tqdm progress bar,
and renames the ``.part`` file into place only after its sha256 matches, so a destination
that exists is always complete and verified.

Plain :mod:`urllib` rather than pooch: pooch cannot resume a transfer with range requests
(a multi-GB checkpoint over a flaky link restarts from zero), and the real-dataset
retrieval reuses this module for archives of many GB.

:func:`resolve_weights` finds the files of a registry entry
(:mod:`eobench.encoders.weights`) without touching the network: a configured local
folder first, then the cache; :func:`retrieve_weights` fills the cache (copy from a local
folder, or download). Extraction only ever resolves.
"""

from __future__ import annotations

import errno
import http.client
import logging
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from eobench.encoders.weights import Weights, WeightsFile, get_weights
from eobench.errors import EobenchError
from eobench.io import CHECKSUMS_NAME, file_sha256

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
#: HTTP statuses worth another try (server overloaded or restarting, rate limits).
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
#: Beside a cached file whose digest upstream does not publish: the digest found at
#: first download (trust on first use), verified on every later resolve.
RECORDED_SUFFIX = ".sha256"
USER_AGENT = "eobench-retrieval/1"


class _Transient(Exception):
    """A failure worth retrying (the message says what happened)."""


def _digest_matches(digest: str, expected: str | None, prefix: bool) -> bool:
    if expected is None:
        return True
    expected = expected.lower()
    return digest.startswith(expected) if prefix else digest == expected


def download(
    url: str,
    destination: str | os.PathLike,
    sha256: str | None,
    *,
    sha256_is_prefix: bool = False,
    part_path: str | os.PathLike | None = None,
    retries: int = 5,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
    progress: bool = True,
) -> str:
    """Download ``url`` to ``destination``, resumably and atomically; return its sha256.

    Parameters
    ----------
    url : str
        What to fetch (``http``, ``https`` or ``file``).
    destination : path
        Final file; written only once the whole file's digest matches.
    sha256 : str or None
        Expected hex digest; None accepts any content (the digest is returned so that the
        caller can record it).
    sha256_is_prefix : bool
        ``sha256`` holds only the digest's leading hex digits (torchgeo's filenames).
    part_path : path, optional
        Where the partial download lives (default ``destination`` + ``.part``); a part
        left by an interrupted run is continued with a ``Range: bytes=N-`` request.
    retries : int
        Further attempts after a transient error, waiting ``backoff_s * 2**k`` seconds
        before attempt ``k + 1``.
    backoff_s : float
        Base of the exponential backoff (tests use 0).
    timeout_s : float
        Socket timeout of one request.
    progress : bool
        Show a tqdm progress bar.

    Raises
    ------
    EobenchError
        One line for: a digest mismatch (file, expected, found; the part file is
        deleted), an HTTP error such as 404, no network after all retries (naming the URL
        and the folder), no space left (naming the folder).
    """
    destination = Path(destination)
    part = (
        Path(part_path)
        if part_path is not None
        else destination.with_name(destination.name + ".part")
    )
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        part.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(exc, folder, url) from None
    last_problem = ""
    for attempt in range(retries + 1):
        if attempt:
            wait = backoff_s * 2 ** (attempt - 1)
            log.warning("%s: %s; retry %d/%d in %.1f s", url, last_problem, attempt, retries, wait)
            time.sleep(wait)
        try:
            _fetch_into(url, part, timeout_s, progress)
            break
        except _Transient as exc:
            last_problem = str(exc)
        except urllib.error.HTTPError as exc:
            if exc.code in TRANSIENT_STATUS:
                last_problem = f"HTTP {exc.code} {exc.reason}"
                continue
            raise EobenchError(
                f"{url}: HTTP {exc.code} {exc.reason} (downloading into {folder})"
            ) from None
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException) as exc:
            last_problem = _reason(exc)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise _os_error(exc, part.parent, url) from None
            last_problem = _reason(exc)  # connection reset and the like
    else:
        raise EobenchError(
            f"{url}: no connection after {retries + 1} attempts ({last_problem}); no network? "
            f"download into {folder} failed (put the file there by hand, or in a local folder)"
        )
    digest = file_sha256(part)
    if not _digest_matches(digest, sha256, sha256_is_prefix):
        part.unlink(missing_ok=True)
        kind = "sha256 prefix" if sha256_is_prefix else "sha256"
        raise EobenchError(
            f"{destination}: {kind} mismatch (expected {sha256}, found {digest}) "
            f"downloading {url}; the partial file was deleted"
        )
    os.replace(part, destination)
    return digest


def _fetch_into(url: str, part: Path, timeout_s: float, progress: bool) -> None:
    """One attempt: continue ``part`` from its current size to the end of ``url``."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # Range beyond the end: the part may already be whole; the digest decides.
            return
        raise
    with response:
        status = getattr(response, "status", None) or 200
        if offset and status != 206:
            offset = 0  # the server ignored the range: start over
        total = _total_length(response, offset)
        received = offset
        mode = "ab" if offset else "wb"
        with (
            open(part, mode) as handle,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                desc=part.name.removesuffix(".part"),
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            while True:
                block = response.read(CHUNK_BYTES)
                if not block:
                    break
                handle.write(block)
                received += len(block)
                bar.update(len(block))
    if total is not None and received < total:
        raise _Transient(f"connection closed after {received} of {total} bytes")


def _total_length(response, offset: int) -> int | None:
    """Length of the whole file from ``Content-Range`` or ``Content-Length``."""
    content_range = response.headers.get("Content-Range")
    if content_range:
        match = re.search(r"/(\d+)\s*$", content_range)
        if match:
            return int(match.group(1))
    length = response.headers.get("Content-Length")
    return offset + int(length) if length is not None else None


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason if reason is not None else exc}"


def _os_error(exc: OSError, folder: Path, url: str) -> EobenchError:
    if exc.errno == errno.ENOSPC:
        return EobenchError(f"{folder}: no space left on device while retrieving {url}")
    return EobenchError(f"{folder}: cannot write ({exc.strerror}) while retrieving {url}")


# --- pretrained weights -----------------------------------------------------------------


def candidate_folders(weights: Weights, local_dirs: Sequence[str | os.PathLike]) -> list[Path]:
    """Where a local folder may hold the entry's files, in order of precedence.

    For each configured folder ``d``: ``d/<name>``, ``d/<name with hyphens>`` (the layout
    of ``shared/real/weights``, e.g. ``galileo-nano``), then ``d`` itself.
    """
    names = dict.fromkeys([weights.name, weights.name.replace("_", "-")])
    folders = []
    for base in map(Path, local_dirs):
        folders.extend(base / name for name in names)
        folders.append(base)
    return folders


def verify_file(path: Path, entry: WeightsFile, where: str) -> None:
    """Check one file against its published digest (or the digest recorded at download).

    ``where`` names the place in the error message (``local weights folder``, ...).
    """
    expected, is_prefix = entry.expected, entry.check == "sha256-prefix"
    recorded = path.with_name(path.name + RECORDED_SUFFIX)
    if expected is None and recorded.exists():
        expected, is_prefix = recorded.read_text().split()[0], False
    digest = file_sha256(path)
    if not _digest_matches(digest, expected, is_prefix):
        kind = "sha256 prefix" if is_prefix else "sha256"
        raise EobenchError(
            f"{path}: {kind} mismatch in the {where} (expected {expected}, found {digest})"
        )


def _complete_folder(weights: Weights, folder: Path) -> bool:
    """Whether ``folder`` holds the entry's files; half an entry there is an error."""
    present = [f.filename for f in weights.files if (folder / f.filename).is_file()]
    if not present:
        return False
    missing = [f.filename for f in weights.files if f.filename not in present]
    if missing:
        raise EobenchError(
            f"{folder}: holds {present[0]} of weights {weights.name!r} but not {missing[0]}"
        )
    return True


def _entry(name: str | Weights) -> Weights:
    """A registry entry by name, or a :class:`Weights` given directly (custom entries)."""
    return name if isinstance(name, Weights) else get_weights(name)


def resolve_weights(
    name: str | Weights,
    local_dirs: Sequence[str | os.PathLike] = (),
    cache_dir: str | os.PathLike | None = None,
) -> Path | None:
    """The verified folder holding every file of weights ``name``, or None.

    A configured local folder takes precedence (its files are verified: a mismatch is an
    error naming the file); else the cache folder ``cache_dir/<name>``; else None (the
    caller says in one line how to retrieve them). Never touches the network.
    """
    weights = _entry(name)
    for folder in candidate_folders(weights, local_dirs):
        if _complete_folder(weights, folder):
            for entry in weights.files:
                verify_file(folder / entry.filename, entry, "local weights folder")
            return folder
    if cache_dir is not None:
        folder = Path(cache_dir) / weights.name
        if _complete_folder(weights, folder):
            for entry in weights.files:
                verify_file(folder / entry.filename, entry, "weights cache")
            return folder
    return None


def retrieve_weights(
    name: str | Weights,
    local_dirs: Sequence[str | os.PathLike] = (),
    cache_dir: str | os.PathLike = "resources/weights",
    download: bool = True,
    *,
    mirror: str | None = None,
    retries: int = 5,
    backoff_s: float = 1.0,
    progress: bool = True,
) -> Path:
    """Fill the cache folder ``cache_dir/<name>`` with the verified files; return it.

    Files come from a configured local folder when one holds them (copied, verified),
    else from their URLs when ``download`` is true; with ``mirror`` (a cluster's or a
    test's copy of the upstream files) from ``<mirror>/<name>/<filename>`` instead,
    verified against the same checksums. Partial downloads live in
    ``cache_dir/.partial/<name>/`` so that a failed run (whose outputs Snakemake removes)
    resumes where it stopped.
    """
    weights = _entry(name)
    cache = Path(cache_dir) / weights.name
    source = resolve_weights(weights, local_dirs, None)
    if source is None and _verified_cache(weights, cache_dir):
        return cache
    if source is None and not download:
        raise EobenchError(
            f"weights {weights.name!r}: not in weights.local_dirs {[str(d) for d in local_dirs]} "
            f"nor in the cache {cache}; set weights.download: true or put the files there"
        )
    for entry in weights.files:
        target = cache / entry.filename
        if source is not None:
            digest = _copy_verified(source / entry.filename, target, entry)
        else:
            digest = download_file(
                entry,
                target,
                url=f"{mirror.rstrip('/')}/{weights.name}/{entry.filename}" if mirror else None,
                part_path=Path(cache_dir) / ".partial" / weights.name / (entry.filename + ".part"),
                retries=retries,
                backoff_s=backoff_s,
                progress=progress,
            )
        if entry.check == "unpublished":
            _record_digest(target, digest)
    return cache


def _verified_cache(weights: Weights, cache_dir: str | os.PathLike) -> bool:
    """Whether the cache holds every verified file; a half-filled or stale cache (a file
    deleted or changed by hand) is filled again rather than an error."""
    try:
        return resolve_weights(weights, (), cache_dir) is not None
    except EobenchError as error:
        log.warning("%s; retrieving the weights again", error)
        return False


def _record_digest(target: Path, digest: str) -> None:
    """Write the digest of a file whose checksum upstream does not publish beside it."""
    target.with_name(target.name + RECORDED_SUFFIX).write_text(f"{digest}  {target.name}\n")
    log.warning("%s: no published checksum; recorded sha256 %s", target, digest)


def download_file(entry: WeightsFile, target: Path, url: str | None = None, **options) -> str:
    """:func:`download` one registry file (from ``url``, else its own) with its checksum."""
    return download(
        url or entry.url,
        target,
        entry.expected,
        sha256_is_prefix=entry.check == "sha256-prefix",
        **options,
    )


def _copy_verified(source: Path, target: Path, entry: WeightsFile) -> str:
    """Copy a verified local file into the cache atomically; return its sha256."""
    digest = file_sha256(source)
    if target.exists() and file_sha256(target) == digest:
        return digest
    part = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, part)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise _os_error(exc, target.parent, str(source)) from None
    if file_sha256(part) != digest:  # changed while copying
        part.unlink()
        raise EobenchError(f"{source}: changed while being copied to {target}")
    os.replace(part, target)
    return digest


def write_checksums(name: str | Weights, folder: str | os.PathLike) -> Path:
    """Write ``folder/SHA256SUMS`` listing every file of the entry with its sha256.

    Written atomically after the files, so its presence means a complete, verified
    folder (``sha256sum -c SHA256SUMS`` re-checks it by hand).
    """
    weights = _entry(name)
    folder = Path(folder)
    lines = [f"{file_sha256(folder / f.filename)}  {f.filename}\n" for f in weights.files]
    target = folder / CHECKSUMS_NAME
    part = target.with_name(target.name + ".part")
    part.write_text("".join(lines))
    os.replace(part, target)
    return target
