"""Tampering, runaway code and bad files: the whole bad-submission corpus in ONE `autograder grade` call.

Every entry of tests/submissions/corpus.py is a real notebook (or a damaged file) handed in by its own
student, next to correct ones.  (That plain nbgrader is fooled by the tricks caught here is shown in
test_autograder_grading.py, where the same notebooks also go through `nbgrader autograde`.)
"""
import ctypes
import html
import json
import math
import os
import socket
import threading

import nbformat
import pytest
from harness import BIN, Course, run
from processes import Descendants

from submissions import corpus

WARMUP = corpus.WARMUP
ITEMS = corpus.ITEMS
FULL = {"test_dy_dx": 1.0, "test_grad_f": 3.0}


@pytest.fixture(scope="module")
def limits(tmp_path_factory):
    """Time limits derived from what grading a correct notebook costs on this machine now (idle or loaded)."""
    course = Course.copy(tmp_path_factory.mktemp("calibrate"), [WARMUP])
    corpus.submit(course, "good", corpus.good(course))
    run([BIN / "autograder", "grade", WARMUP, "--quiet", "--no-feedback", "--no-report"], cwd=course.root)
    cost = json.loads((course.root / "reports" / WARMUP / "students" / "good.json").read_text())["seconds"]
    cell = max(4, math.ceil(2 * cost))       # a cell: at least twice a whole correct notebook
    return {"cell": cell, "notebook": max(16, 4 * cell)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, limits):
    course = Course.copy(tmp_path_factory.mktemp("corpus"), [WARMUP])
    corpus.submit_all(course)
    # every cell well within the cell limit, the notebook well past its own limit
    pause = limits["cell"] / 2
    corpus.submit(course, "slow", corpus.slow(course, cells=math.ceil(1.5 * limits["notebook"] / pause),
                                              seconds=pause))
    with Listener() as listener, Descendants() as started:
        corpus.submit(course, "probe", corpus.probe(course, listener.address))  # a port this test listens on
        proc = run([BIN / "autograder", "grade", WARMUP, "--cell-timeout", str(limits["cell"]),
                    "--timeout", str(limits["notebook"]), "--memory-mb", "768", "--quiet"],
                   cwd=course.root, check=False, timeout=1800)
        proc.left_behind = started.left_behind()  # only what this command started, whoever runs the test
        started.stop_leftovers()
    proc.connections = listener.connections
    results = {p.stem: json.loads(p.read_text()) for p in (course.root / "reports" / WARMUP / "students").glob("*.json")}
    return course, proc, results, course.scores(WARMUP)


class Listener:
    """A TCP listener of this test on 127.0.0.1: counts who connects to it."""

    def __enter__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = self.sock.getsockname()
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __exit__(self, *exc):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join()


def auto(scores, student):
    return {gid: scores[student].get(gid) for gid in ITEMS}


def reasons(result):
    tam = result.get("tampering", {})
    return " | ".join(tam.get("general", []) + [r for rs in tam.get("items", {}).values() for r in rs])


def test_every_submission_is_graded_without_a_crash(graded):
    course, proc, results, scores = graded
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(results) == set(corpus.CORPUS)
    assert not [s for s, r in results.items() if r["status"] == "error"]
    assert set(scores) == set(corpus.CORPUS)  # each is in the gradebook, graded or zeroed


def test_the_other_students_grading_is_unaffected(graded):
    _, _, results, scores = graded
    for student in ("good", "probe", "fork", "python2", "renamed", "memory", "sys_exit", "read_solutions"):
        assert auto(scores, student) == FULL, (student, results[student]["notes"])
        assert not reasons(results[student]), student
    assert auto(scores, "slip") == dict(FULL, test_grad_f=0.0)
    assert auto(scores, "blank") == dict.fromkeys(ITEMS, 0.0)


PATCHED = ("patch_checks", "patch_allclose", "patch_testing", "patch_assertion", "swallow", "hide_traceback")


@pytest.mark.parametrize("student", PATCHED)
def test_patching_the_kernel_changes_nothing(graded, student):
    """Tests run in the checker: a patched kernel is graded exactly like the same wrong answer unpatched."""
    course, _, results, scores = graded
    assert auto(scores, student) == auto(scores, "slip") == dict(FULL, test_grad_f=0.0)
    assert results[student]["items"]["test_grad_f"]["message"] == results["slip"]["items"]["test_grad_f"]["message"]
    feedback = (course.root / "feedback" / student / WARMUP / f"{WARMUP}.html").read_text()
    assert results["slip"]["items"]["test_grad_f"]["message"].split(": ", 1)[1][:50] in html.unescape(feedback)


def test_a_redefined_given_function_does_not_change_the_test(graded):
    _, _, results, scores = graded
    assert auto(scores, "redefine_f") == dict(FULL, test_grad_f=0.0)


EDITED = {  # student -> (items that must get no credit, words of the reason)
    "edit_test": (["test_grad_f"], "the test cell 'test_grad_f' was edited"),
    "delete_test": (["test_grad_f"], "the test cell 'test_grad_f' was deleted"),
    "points": (["test_dy_dx"], "the points of 'test_dy_dx' were changed from 1 to 100"),
    "grade_id": (["test_grad_f"], "the grade id of the test cell 'test_grad_f' was changed to 'test_mine'"),
}


@pytest.mark.parametrize("student", sorted(EDITED))
def test_edited_tests_get_no_credit_and_the_reason_is_in_the_results(graded, student):
    course, _, results, scores = graded
    zeroed, words = EDITED[student]
    got = auto(scores, student)
    assert all(got[gid] == 0 for gid in zeroed), got
    assert words in reasons(results[student])
    feedback = (course.root / "feedback" / student / WARMUP / f"{WARMUP}.html").read_text()
    assert "TamperingDetected" in feedback


@pytest.mark.parametrize("student", ["read_solutions", "read_gradebook", "read_other"])
def test_protected_files_stay_closed(graded, student):
    """The sandbox refuses the read; the (right) answers then score as answers, nothing more."""
    course, _, results, scores = graded
    nb = nbformat.read(course.root / "autograded" / student / WARMUP / f"{WARMUP}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "refused: [Errno" in printed and "_stolen" not in printed
    assert auto(scores, student) == FULL


def test_runaway_code_ends_with_a_reason_and_partial_credit(graded, limits):
    course, _, results, scores = graded
    notes = {s: " ".join(r["notes"]) for s, r in results.items()}
    # an endless loop in one function: that test times out, the rest keep their points
    assert auto(scores, "infinite") == dict(FULL, test_grad_f=0.0)
    assert "did not finish within the time limit" in results["infinite"]["items"]["test_grad_f"]["message"]
    # a loop that ignores the interrupt: the kernel is stopped, later cells are not run
    assert auto(scores, "unstoppable") == dict(FULL, test_grad_f=0.0)
    assert "did not stop when interrupted" in notes["unstoppable"]
    # the kernel dies (os._exit, a segfault) after test_dy_dx: the two earlier items keep their points
    for student, words in (("os_exit", "exited with code 3"), ("crash", "crashed (SIGSEGV)")):
        assert auto(scores, student) == dict(FULL, test_grad_f=0.0), student
        assert words in notes[student] and "remaining cells were not run" in notes[student]
    # every cell within its own limit, but the whole notebook past its wall-clock limit
    assert auto(scores, "slow") == dict(FULL, test_grad_f=0.0)
    assert f"ran past its time limit of {limits['notebook']} s" in notes["slow"]
    assert "ran out of memory (the limit is 768 MB)" in notes["memory"]
    assert "called sys.exit()" in notes["sys_exit"]
    # gigabytes of printing: cut off, and the autograded notebook stays small
    assert auto(scores, "flood") == FULL
    flood = course.root / "autograded" / "flood" / WARMUP / f"{WARMUP}.ipynb"
    assert flood.stat().st_size < 3_000_000
    # the fork that outlived its kernel is gone: no process the grading started is left
    assert not graded[1].left_behind, f"processes still running after grading: {graded[1].left_behind}"


def platform_can_cut_network():
    """Whether a process here may take itself off the host's network: a network namespace of its own
    (through a user namespace when not root), or Landlock's TCP rules (ABI 4 and later)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)) >= 4:  # landlock_create_ruleset: ABI
        return True
    pid = os.fork()
    if pid == 0:  # the child tries; the test process stays as it is
        flags = 0x40000000 | (0 if os.geteuid() == 0 else 0x10000000)  # CLONE_NEWNET (| CLONE_NEWUSER)
        os._exit(0 if libc.unshare(flags) == 0 else 1)
    return os.waitpid(pid, 0)[1] == 0


def test_the_sandbox_blocks_network_and_writes_outside_the_scratch_folder(graded):
    """What the platform allows is enforced; what it does not is said in the results (never silently)."""
    course, _, results, _ = graded
    nb = nbformat.read(course.root / "autograded" / "probe" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "SCRATCH: mine" in printed  # the probe ran, and its own scratch folder is writable
    sandbox = results["probe"]["sandbox"]
    assert {"network", "files", "limits", "user"} <= set(sandbox) and "memory 768 MB" in sandbox["limits"]
    # what this platform allows is found out here, not read from the sandbox's own report
    if platform_can_cut_network():
        assert "NETWORK: blocked" in printed and "NETWORK: open" not in printed
        assert graded[1].connections == 0   # the test's own listener on 127.0.0.1 was never reached
    else:
        assert "NETWORK: open" in printed and graded[1].connections == 1
        assert sandbox["network"].startswith("on")   # said, not hidden
    if sandbox["files"].startswith("Landlock"):
        assert printed.count("WRITE: blocked") == 3 and "WRITE: allowed" not in printed
    else:
        assert sandbox["files"].startswith("no Landlock")
    assert not (course.root / "escape.txt").exists()  # the course folder: by Landlock, or by the uid
    if os.geteuid() == 0 and sandbox["user"].startswith("unprivileged"):
        assert "UID 0" not in printed
    elif os.geteuid() == 0:
        assert sandbox["user"].startswith("root (cannot reach")  # said, not hidden


BAD_FILES = {
    "corrupted": "is not valid JSON",
    "empty": "is an empty file",
    "latin1": "is not UTF-8 text",
    "missing": "00_warmup.ipynb is missing",
    "other_assignment": "has none of the cells of this assignment",
}


@pytest.mark.parametrize("student", sorted(BAD_FILES))
def test_bad_files_get_a_clear_message_and_zero(graded, student):
    course, _, results, scores = graded
    assert results[student]["status"] == "not gradable"
    assert BAD_FILES[student] in " ".join(results[student]["notes"])
    assert auto(scores, student) == dict.fromkeys(ITEMS, 0.0)
    page = (course.root / "feedback" / student / WARMUP / f"{WARMUP}.html").read_text()
    assert "could not be graded" in page


def test_a_renamed_notebook_and_a_python2_kernelspec_are_graded_with_a_note(graded):
    _, _, results, scores = graded
    assert "handed in as 00_warmup (1).ipynb" in " ".join(results["renamed"]["notes"])
    assert "asks for the kernel 'python2'" in " ".join(results["python2"]["notes"])
    assert auto(scores, "renamed") == FULL and auto(scores, "python2") == FULL
