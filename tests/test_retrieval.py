"""Downloads against a loopback HTTP server; weights resolution from local folders and cache.

The server is our own ``http.server`` handler: it serves byte ranges, can drop the
connection part-way through a file and can answer 404 or 500, and it records every
request's ``Range`` header, so the tests see what the client asked for.
"""

from __future__ import annotations

import hashlib
import http.server
import re
import socket
import threading
from dataclasses import replace

import numpy as np
import pytest

from eobench.encoders.weights import WEIGHTS, WeightsFile
from eobench.errors import EobenchError
from eobench.retrieval import (
    RECORDED_SUFFIX,
    download,
    resolve_weights,
    retrieve_weights,
    write_checksums,
)

PAYLOAD = np.random.default_rng(0).bytes(300_000)
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
FAST = dict(backoff_s=0.0, progress=False)


class FileServer(http.server.ThreadingHTTPServer):
    """Serves ``files`` (path -> bytes) with scripted failures."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        #: Range header of every request (None when absent), in order.
        self.ranges: list[str | None] = []
        #: Answer this many requests with HTTP 500 first.
        self.fail_first = 0
        #: Close the connection after this many body bytes on the next request.
        self.drop_after: int | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: FileServer

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        server = self.server
        server.ranges.append(self.headers.get("Range"))
        if server.fail_first > 0:
            server.fail_first -= 1
            self.send_error(500, "scripted failure")
            return
        body = server.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match:
            start = int(match.group(1))
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        chunk = body[start:]
        if server.drop_after is not None:
            chunk, server.drop_after = chunk[: server.drop_after], None
            self.wfile.write(chunk)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(chunk)


@pytest.fixture
def server():
    instance = FileServer()
    instance.files["ckpt.pth"] = PAYLOAD
    thread = threading.Thread(target=instance.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield instance
    instance.shutdown()
    instance.server_close()


def test_full_download_is_verified_and_atomic(server, tmp_path):
    target = tmp_path / "cache" / "ckpt.pth"
    digest = download(server.url("ckpt.pth"), target, PAYLOAD_SHA256, **FAST)
    assert digest == PAYLOAD_SHA256
    assert target.read_bytes() == PAYLOAD
    assert list(target.parent.iterdir()) == [target]  # no .part left behind
    assert server.ranges == [None]


def test_truncated_part_is_resumed_with_a_range_request(server, tmp_path):
    target = tmp_path / "ckpt.pth"
    (tmp_path / "ckpt.pth.part").write_bytes(PAYLOAD[:123_456])
    download(server.url("ckpt.pth"), target, PAYLOAD_SHA256, **FAST)
    assert server.ranges == ["bytes=123456-"]
    assert target.read_bytes() == PAYLOAD


def test_dropped_connection_resumes_where_it_stopped(server, tmp_path):
    server.drop_after = 100_000
    target = tmp_path / "ckpt.pth"
    download(server.url("ckpt.pth"), target, PAYLOAD_SHA256, **FAST)
    assert server.ranges[0] is None
    assert len(server.ranges) == 2
    # Whatever reached the client before the drop is kept: the retry asks for the rest.
    resumed_at = int(re.fullmatch(r"bytes=(\d+)-", server.ranges[1]).group(1))
    assert 0 < resumed_at <= 100_000
    assert target.read_bytes() == PAYLOAD


def test_transient_server_errors_are_retried(server, tmp_path):
    server.fail_first = 2
    target = tmp_path / "ckpt.pth"
    download(server.url("ckpt.pth"), target, PAYLOAD_SHA256, retries=2, **FAST)
    assert len(server.ranges) == 3
    assert target.read_bytes() == PAYLOAD


def test_persistent_server_errors_give_up_in_one_line(server, tmp_path):
    server.fail_first = 10
    url = server.url("ckpt.pth")
    with pytest.raises(EobenchError) as error:
        download(url, tmp_path / "ckpt.pth", PAYLOAD_SHA256, retries=1, **FAST)
    message = str(error.value)
    assert "\n" not in message and url in message and "HTTP 500" in message
    assert len(server.ranges) == 2


def test_hash_mismatch_is_one_line_and_leaves_no_file(server, tmp_path):
    target = tmp_path / "ckpt.pth"
    wrong = "0" * 64
    with pytest.raises(EobenchError) as error:
        download(server.url("ckpt.pth"), target, wrong, **FAST)
    message = str(error.value)
    assert "\n" not in message
    assert str(target) in message and wrong in message and PAYLOAD_SHA256 in message
    assert list(tmp_path.iterdir()) == []


def test_sha256_prefix_is_verified(server, tmp_path):
    target = tmp_path / "ckpt.pth"
    download(server.url("ckpt.pth"), target, PAYLOAD_SHA256[:8], sha256_is_prefix=True, **FAST)
    assert target.read_bytes() == PAYLOAD
    other = "0" * 8 if PAYLOAD_SHA256[:8] != "0" * 8 else "1" * 8
    with pytest.raises(EobenchError, match="sha256 prefix mismatch"):
        download(server.url("ckpt.pth"), tmp_path / "b.pth", other, sha256_is_prefix=True, **FAST)


def test_not_found_names_url_and_folder_without_retrying(server, tmp_path):
    url = server.url("missing.pth")
    folder = tmp_path / "cache"
    with pytest.raises(EobenchError) as error:
        download(url, folder / "missing.pth", None, **FAST)
    message = str(error.value)
    assert "\n" not in message and "404" in message
    assert url in message and str(folder) in message
    assert len(server.ranges) == 1


def test_no_network_names_url_and_folder(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/ckpt.pth"
    with pytest.raises(EobenchError) as error:
        download(url, tmp_path / "ckpt.pth", None, retries=1, timeout_s=2, **FAST)
    message = str(error.value)
    assert "\n" not in message and url in message and str(tmp_path) in message
    assert "no network" in message


# --- weights resolution -----------------------------------------------------------------


def _entry(server, name="toy_weights", check="sha256"):
    """A registry-shaped entry (two files) served by the loopback server."""
    config = b'{"depth": 2}'
    server.files["config.json"] = config
    digests = {"sha256": PAYLOAD_SHA256, "sha256-prefix": None, "unpublished": None}
    checkpoint = WeightsFile(
        "ckpt.pth",
        server.url("ckpt.pth"),
        sha256=digests[check],
        sha256_prefix=PAYLOAD_SHA256[:8] if check == "sha256-prefix" else None,
    )
    config_file = WeightsFile(
        "config.json",
        server.url("config.json"),
        sha256=hashlib.sha256(config).hexdigest(),
        role="config",
    )
    return replace(WEIGHTS["galileo_nano"], name=name, files=(checkpoint, config_file))


def _write_entry(folder, payload=PAYLOAD, config=b'{"depth": 2}'):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ckpt.pth").write_bytes(payload)
    (folder / "config.json").write_bytes(config)


def test_resolve_returns_none_when_neither_local_nor_cache(server, tmp_path):
    entry = _entry(server)
    assert resolve_weights(entry, [tmp_path / "local"], tmp_path / "cache") is None
    assert server.ranges == []  # resolving never downloads


def test_local_folder_takes_precedence_over_the_cache(server, tmp_path):
    entry = _entry(server)
    _write_entry(tmp_path / "local" / "toy-weights")  # hyphenated layout of shared/real
    _write_entry(tmp_path / "cache" / "toy_weights", payload=b"stale cache")
    folder = resolve_weights(entry, [tmp_path / "local"], tmp_path / "cache")
    assert folder == tmp_path / "local" / "toy-weights"
    # Retrieval copies the local files into the cache, replacing the stale one.
    cache = retrieve_weights(entry, [tmp_path / "local"], tmp_path / "cache", download=False)
    assert (cache / "ckpt.pth").read_bytes() == PAYLOAD
    assert resolve_weights(entry, [], tmp_path / "cache") == cache
    assert server.ranges == []


def test_local_folder_mismatch_names_the_file(server, tmp_path):
    entry = _entry(server)
    _write_entry(tmp_path / "local" / "toy_weights", payload=b"tampered")
    with pytest.raises(EobenchError) as error:
        resolve_weights(entry, [tmp_path / "local"], tmp_path / "cache")
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path / "local" / "toy_weights" / "ckpt.pth") in message
    assert PAYLOAD_SHA256 in message


def test_half_an_entry_in_a_local_folder_is_an_error(server, tmp_path):
    entry = _entry(server)
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "ckpt.pth").write_bytes(PAYLOAD)
    with pytest.raises(EobenchError, match=r"config\.json"):
        resolve_weights(entry, [tmp_path / "local"], None)


def test_retrieve_downloads_every_file_into_the_cache(server, tmp_path):
    entry = _entry(server)
    cache = retrieve_weights(entry, [], tmp_path / "cache", retries=0, **FAST)
    assert cache == tmp_path / "cache" / "toy_weights"
    assert (cache / "ckpt.pth").read_bytes() == PAYLOAD
    assert (cache / "config.json").read_bytes() == b'{"depth": 2}'
    assert resolve_weights(entry, [], tmp_path / "cache") == cache
    requests = len(server.ranges)
    retrieve_weights(entry, [], tmp_path / "cache", **FAST)  # cached: nothing fetched
    assert len(server.ranges) == requests


def test_retrieve_without_download_says_where_to_put_the_files(server, tmp_path):
    entry = _entry(server)
    with pytest.raises(EobenchError) as error:
        retrieve_weights(entry, [tmp_path / "local"], tmp_path / "cache", download=False)
    message = str(error.value)
    assert "\n" not in message and "weights.download" in message
    assert str(tmp_path / "cache" / "toy_weights") in message
    assert server.ranges == []


def test_unpublished_checksum_is_recorded_and_then_verified(server, tmp_path):
    entry = _entry(server, check="unpublished")
    cache = retrieve_weights(entry, [], tmp_path / "cache", **FAST)
    recorded = (cache / ("ckpt.pth" + RECORDED_SUFFIX)).read_text().split()[0]
    assert recorded == PAYLOAD_SHA256
    (cache / "ckpt.pth").write_bytes(b"corrupted later")
    with pytest.raises(EobenchError, match="mismatch in the weights cache"):
        resolve_weights(entry, [], tmp_path / "cache")


def test_prefix_checked_entry_downloads(server, tmp_path):
    entry = _entry(server, check="sha256-prefix")
    cache = retrieve_weights(entry, [], tmp_path / "cache", **FAST)
    assert (cache / "ckpt.pth").read_bytes() == PAYLOAD
    assert not (cache / ("ckpt.pth" + RECORDED_SUFFIX)).exists()


def test_checksums_file_lists_every_file_in_sha256sum_format(server, tmp_path):
    entry = _entry(server)
    cache = retrieve_weights(entry, [], tmp_path / "cache", **FAST)
    written = write_checksums(entry, cache)
    lines = written.read_text().splitlines()
    expected = [
        f"{hashlib.sha256((cache / name).read_bytes()).hexdigest()}  {name}"
        for name in ("ckpt.pth", "config.json")
    ]
    assert lines == expected
