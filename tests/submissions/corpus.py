"""Bad submissions of the warm-up, built from its released notebook: each is a real .ipynb file.

``CORPUS`` maps a student id to a function ``(course) -> notebook | bytes | None`` (None: a folder
without the notebook).  ``EXPECT`` says, for each, what grading must do with it.  The course is a
``harness.Course``; ``course.root`` is the course folder (some tricks aim at its protected files).
"""

import nbformat

WARMUP = "00_warmup"
ITEMS = ("test_dy_dx", "test_grad_f")

WRONG_GRAD = "def grad_f(x):\n    return 2 * (x + np.cos(x))\n"   # [factor ×2]
ZEROS_GRAD = "def grad_f(x):\n    return np.zeros_like(x)\n"


def good(course, **answers):
    return course.student_notebook(WARMUP, answers)


def with_cell_after(course, gid, code, **answers):
    """The correct notebook with a student cell of ``code`` inserted right after cell ``gid``."""
    nb = good(course, **answers)
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(code))
    return nb


def slow(course, cells=6, seconds=3.5):
    """Each cell within the cell time limit, the notebook past its own limit."""
    nb = good(course)
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test_dy_dx")
    for _ in range(cells):
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})"))
    return nb


def edit(nb, gid, **changes):
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == gid:
            for key, value in changes.items():
                if key == "source":
                    cell.source = value
                else:
                    meta[key] = value
    return nb


def drop(nb, gid):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != gid]
    return nb


def other_assignment(course):
    nb = good(course)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["grade_id"] = "jacobian_" + meta["grade_id"]
    return nb


def python2(course):
    nb = good(course)
    nb.metadata["kernelspec"] = {"name": "python2", "display_name": "Python 2", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "version": "2.7.18"}
    return nb


def latin1(course):
    text = nbformat.writes(good(course)).replace("Central differences", "Différences centrales")
    return text.encode("latin-1", errors="replace")


PATCH_CHECKS = ("import matcalc as _mc\n_mc.check_gradient = lambda *a, **k: 'fine'\n" + WRONG_GRAD)
PATCH_ALLCLOSE = "import numpy\nnumpy.allclose = lambda *a, **k: True\n" + WRONG_GRAD
PATCH_TESTING = "import numpy.testing\nnumpy.testing.assert_allclose = lambda *a, **k: None\n" + WRONG_GRAD
PATCH_ASSERTION = ("import builtins\nclass AssertionError(Exception):\n    pass\n"
                   "builtins.AssertionError = AssertionError\n" + WRONG_GRAD)
SWALLOW = (
    "import ast\n"
    "class Quiet(ast.NodeTransformer):\n"
    "    def visit_Module(self, node):\n"
    "        handler = ast.ExceptHandler(type=ast.Name('BaseException', ast.Load()), name=None, body=[ast.Pass()])\n"
    "        node.body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])]\n"
    "        return ast.fix_missing_locations(node)\n"
    "get_ipython().ast_transformers.append(Quiet())\n" + WRONG_GRAD)
HIDE_TRACEBACK = ("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                  "ip._showtraceback = lambda *a, **k: None\n" + WRONG_GRAD)
REDEFINE_F = "f = lambda x: 0.0 * np.sum(x)\n" + ZEROS_GRAD


def reads(path):
    return (f"try:\n    _stolen = open({str(path)!r}, 'rb').read()\nexcept OSError as _e:\n    print('refused:', _e)\n"
            "def grad_f(x):\n    return x + np.cos(x)\n")


def reads_other_student(course):
    return reads(course.root / "submitted" / "good" / WARMUP / f"{WARMUP}.ipynb")


def probe(course, listener=None):
    """A correct notebook that also reports what its kernel may do (printed in the autograded notebook).

    ``listener`` is a ``(host, port)`` on this machine that the test itself listens on (never anything
    else); without one the network is not probed.
    """
    targets = ["/tmp/autograder-escape.txt", "/var/tmp/autograder-escape.txt", str(course.root / "escape.txt")]
    network = "" if listener is None else (
        f"try:\n    socket.create_connection({tuple(listener)!r}, timeout=10).close(); print('NETWORK: open')\n"
        "except OSError as e:\n    print('NETWORK: blocked', type(e).__name__)\n")
    return good(course, grad_f=(
        "import os, socket\n"
        "print('UID', os.getuid())\n"
        + network +
        f"for target in {targets!r}:\n"
        "    try:\n        open(target, 'w').write('x'); print('WRITE: allowed', target)\n"
        "    except OSError as e:\n        print('WRITE: blocked', type(e).__name__)\n"
        "open('scratch-file.txt', 'w').write('mine')\n"
        "print('SCRATCH:', open('scratch-file.txt').read())\n"
        "def grad_f(x):\n    return x + np.cos(x)\n"))


INFINITE = "def grad_f(x):\n    while True:\n        pass\n"
UNSTOPPABLE = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
               "def grad_f(x):\n    return x + np.cos(x)\nwhile True:\n    time.sleep(0.05)\n")
MEMORY = "hog = [bytearray(50 * 2**20) for _ in range(10**4)]\n"
SYS_EXIT = "import sys\nsys.exit('bye')\n"
OS_EXIT = "import os\nos._exit(3)\n"
CRASH = "import faulthandler\nfaulthandler._read_null()\n"
FORK = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    while True:\n        time.sleep(1)\n"
        "def grad_f(x):\n    return x + np.cos(x)\n")
FLOOD = "def grad_f(x):\n    return x + np.cos(x)\nwhile True:\n    print('x' * 100000)\n"

CORPUS = {
    "good": lambda c: good(c),
    "slip": lambda c: good(c, grad_f=WRONG_GRAD),
    "blank": lambda c: c.released(WARMUP),
    # tampering
    "patch_checks": lambda c: good(c, grad_f=PATCH_CHECKS),
    "patch_allclose": lambda c: good(c, grad_f=PATCH_ALLCLOSE),
    "patch_testing": lambda c: good(c, grad_f=PATCH_TESTING),
    "patch_assertion": lambda c: good(c, grad_f=PATCH_ASSERTION),
    "swallow": lambda c: good(c, grad_f=SWALLOW),
    "hide_traceback": lambda c: good(c, grad_f=HIDE_TRACEBACK),
    "redefine_f": lambda c: good(c, grad_f=REDEFINE_F),
    "edit_test": lambda c: edit(good(c, grad_f=WRONG_GRAD), "test_grad_f", source="print('all good')"),
    "delete_test": lambda c: drop(good(c, grad_f=WRONG_GRAD), "test_grad_f"),
    "points": lambda c: edit(good(c), "test_dy_dx", points=100),
    "grade_id": lambda c: edit(good(c, grad_f=WRONG_GRAD), "test_grad_f", grade_id="test_mine"),
    "read_solutions": lambda c: good(c, grad_f=reads(c.root / "solutions" / WARMUP / f"{WARMUP}.ipynb")),
    "read_gradebook": lambda c: good(c, grad_f=reads(c.root / "gradebook.db")),
    "read_other": lambda c: good(c, grad_f=reads_other_student(c)),
    # limits
    "probe": probe,
    "infinite": lambda c: good(c, grad_f=INFINITE),
    "unstoppable": lambda c: good(c, grad_f=UNSTOPPABLE),
    "memory": lambda c: with_cell_after(c, "test_dy_dx", MEMORY),
    "sys_exit": lambda c: with_cell_after(c, "test_dy_dx", SYS_EXIT),
    "os_exit": lambda c: with_cell_after(c, "test_dy_dx", OS_EXIT),
    "crash": lambda c: with_cell_after(c, "test_dy_dx", CRASH),
    "fork": lambda c: good(c, grad_f=FORK),
    "flood": lambda c: good(c, grad_f=FLOOD),
    "slow": slow,
    # bad files
    "corrupted": lambda c: nbformat.writes(good(c))[:-200].encode(),
    "empty": lambda c: b"",
    "renamed": lambda c: ("00_warmup (1).ipynb", good(c)),
    "missing": lambda c: None,
    "latin1": latin1,
    "python2": python2,
    "other_assignment": other_assignment,
}


def submit(course, student, made):
    """Hand in what a corpus entry made: a notebook, raw bytes, (other file name, notebook) or nothing."""
    folder = course.root / "submitted" / student / WARMUP
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    if made is None:
        (folder / "README.txt").write_text("I could not do it")
    elif isinstance(made, bytes):
        (folder / f"{WARMUP}.ipynb").write_bytes(made)
    elif isinstance(made, tuple):
        nbformat.write(made[1], folder / made[0])
    else:
        nbformat.write(made, folder / f"{WARMUP}.ipynb")
    return folder


def submit_all(course, students=None):
    for student in students or CORPUS:
        submit(course, student, CORPUS[student](course))
