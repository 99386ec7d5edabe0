"""The notebook toolbar's Validate button, through a real Jupyter server: autograder validate answers it.

The server is started the way `make lab` starts it (the venv's Jupyter configuration, which `make install`
gives the autograder.lab extension), on 127.0.0.1, and the button's request is posted as the page posts it.
"""
import json
import shutil
import socket
import subprocess
import time
import urllib.request

import nbformat
import pytest
from harness import BIN, REPO, env


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(REPO / "exercises" / "00_warmup" / "00_warmup.ipynb", root / "half_done.ipynb")
    shutil.copy(REPO / "solutions" / "00_warmup" / "00_warmup.ipynb", root / "done.ipynb")
    shutil.copy(REPO / "course" / "01_derivative.ipynb", root / "lecture.ipynb")
    port, token = _free_port(), "validate-button-test"
    proc = subprocess.Popen([str(BIN / "jupyter"), "server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root"],
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:  # the server answers once it is up (or it has exited: then say why)
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"jupyter server did not start: {proc.stderr.read()[-2000:]}")
            time.sleep(0.2)
    yield base, token
    proc.terminate()
    proc.wait(30)


def _validate(server, path):
    base, token = server
    request = urllib.request.Request(f"{base}/assignments/validate?token={token}",
                                     data=json.dumps({"path": path}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as reply:
        return json.loads(reply.read())


def test_a_half_done_notebook_lists_each_item_as_not_attempted(server):
    reply = _validate(server, "half_done.ipynb")
    assert reply["success"] is True
    failed = json.loads(reply["value"])["failed"]
    released = nbformat.read(REPO / "exercises" / "00_warmup" / "00_warmup.ipynb", as_version=4)
    tests = [c.metadata["nbgrader"] for c in released.cells if c.cell_type == "code"
             and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]
    assert tests and [f["source"] for f in failed] == [
        f"{t['grade_id']} ({t['points']:g} point{'s' if t['points'] != 1 else ''}) — not attempted" for t in tests]
    assert all("NotImplementedError()" in f["error"] and "Traceback" not in f["error"] for f in failed)


def test_a_finished_notebook_passes(server):
    reply = _validate(server, "done.ipynb")
    assert reply == {"success": True, "value": "{}"}


def test_a_lecture_says_it_has_nothing_to_validate(server):
    reply = _validate(server, "lecture.ipynb")
    assert reply["success"] is False and "no graded items" in reply["value"]
