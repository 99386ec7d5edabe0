"""Student code in a sandboxed grading kernel cannot reach the host: unix sockets, disk, environment, other kernels.

Each kernel is started the way a grading worker starts it (``sandbox_probe``: a fork of the warm zygote with
the worker's ``sandbox.plan``).  Every test also runs the same student code where the protection is missing
-- a plain process, or a plan that opens the door -- and checks that there the probe does get through, so a
probe that could never succeed cannot pass for a protection.  The only listeners are the ones these tests
open: unix sockets in a temporary folder, an abstract unix socket, and 127.0.0.1.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sandbox_probe as probe  # noqa: E402

from autograder import kernel, sandbox  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"),
                                reason="the sandbox needs Linux (namespaces, pidfd)")

CONNECT = """
import json, socket
def connect(address, family=socket.AF_UNIX):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(address)
        return "connected"
    except OSError as e:
        return "refused " + type(e).__name__
    finally:
        s.close()
"""


@pytest.fixture
def folder():
    """A folder in the host's /tmp, as any user's runtime sockets are (removed afterwards)."""
    path = tempfile.mkdtemp(prefix="sandbox-host-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def scratch():
    roots = []

    def make(owner=None):
        roots.append(probe.scratch(owner=owner))
        return roots[-1]

    yield make
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


def unix_listener(path=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path or "\0autograder-sandbox-test-" + uuid.uuid4().hex)
    if path:
        os.chmod(path, 0o777)  # any uid may connect: only the sandbox can stand in the way
    s.listen(8)
    s.setblocking(False)
    return s


def arrived(listener):
    """Whether any connection reached ``listener`` (connect() returns before accept(); this looks)."""
    try:
        listener.accept()[0].close()
        return True
    except BlockingIOError:
        return False


def plain_python(code):
    """The same student code in an ordinary process: the control that shows the probe can get through."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout


def test_host_unix_sockets_cannot_be_reached(folder, scratch):
    path_listener = unix_listener(os.path.join(folder, "host.sock"))
    abstract_listener = unix_listener()
    code = CONNECT + (f"print('PATH', connect({path_listener.getsockname()!r}))\n"
                      f"print('ABSTRACT', connect({abstract_listener.getsockname()!r}))\n")
    with path_listener, abstract_listener:
        assert plain_python(code).split("\n")[:2] == ["PATH connected", "ABSTRACT connected"]
        assert arrived(path_listener) and arrived(abstract_listener)
        # the grading kernel, with and without the network namespace (then only Landlock scoping holds)
        for network in (False, True):
            got = probe.scenario({"kernels": [{"root": scratch(), "limits": {"network": network}}],
                                  "steps": [[0, code]]})
            printed, notes = got["outputs"][0], got["notes"][0]
            assert "PATH refused FileNotFoundError" in printed, (printed, notes)
            assert "ABSTRACT refused" in printed, (printed, notes)
            assert not arrived(path_listener) and not arrived(abstract_listener)
            assert notes["view"].startswith("a root of its own")
            assert notes["unix sockets"].startswith("none of the host's")
        # planted: the listener's folder in the kernel's view -- Landlock alone does not stop connect()
        got = probe.scenario({"kernels": [{"root": scratch(), "limits": {"read_only": [folder]}}],
                              "steps": [[0, code]]})
        assert "PATH connected" in got["outputs"][0] and arrived(path_listener)


WRITE = """
import errno, os
def fill(path, megabytes):
    written = 0
    try:
        with open(path, "wb") as fh:
            for _ in range(megabytes):
                fh.write(b"x" * (1 << 20))
                fh.flush()
                written += 1
        return f"wrote {written} MB"
    except OSError as e:
        return f"stopped at {written} MB: {errno.errorcode[e.errno]} {e}"
    finally:
        if os.path.exists(path):
            os.remove(path)
"""


def test_the_disk_quota_holds_for_all_the_scratch_together(scratch):
    code = WRITE + ("open('keep.bin', 'wb').write(b'x' * (30 << 20))\n"  # 30 MB in the working folder stays
                    "print('HOME', fill(os.path.join(os.environ['HOME'], 'big.bin'), 60))\n"
                    "print('TMP', fill(os.path.join(os.environ['TMPDIR'], 'big.bin'), 60))\n")
    root = scratch()
    uncaught = "open('big.bin', 'wb').write(b'x' * (100 << 20))\n"
    got = probe.scenario({"kernels": [{"root": root, "limits": {"disk_mb": 64}}],
                          "steps": [[0, code], [0, uncaught]]})
    printed, notes = got["outputs"][0], got["notes"][0]
    # the student's cell ends with an error that names the quota
    assert "OSError: [Errno 28] No space left on device: the disk quota of 64 MB" in got["outputs"][1]
    for where in ("HOME", "TMP"):
        line = next(line for line in printed.splitlines() if line.startswith(where))
        assert "ENOSPC" in line and "No space left on device" in line, printed
        assert int(line.split()[3]) <= 64 - 30, printed  # one quota for the working folder, home and tmp
    assert "quota 64 MB" in notes["disk"] and "No space left on device" in notes["disk"]
    assert not os.path.exists(os.path.join(root, "run", "keep.bin"))  # nothing landed on the host's disk
    # the same code under a larger quota writes it all: the quota, not something else, stopped it above
    got = probe.scenario({"kernels": [{"root": scratch(), "limits": {"disk_mb": 160}}], "steps": [[0, code]]})
    assert "HOME wrote 60 MB" in got["outputs"][0] and "TMP wrote 60 MB" in got["outputs"][0], got["outputs"][0]


def test_the_socket_folder_takes_no_files(scratch):
    """The socket folder is shared with the grader (outside the quota): the kernel may only make sockets there."""
    code = ("import os\n"
            "sock = os.path.dirname({sockets0}[0])\n"
            "try:\n    open(os.path.join(sock, 'big.bin'), 'wb').write(b'x')\n    print('SOCKFILE written')\n"
            "except OSError as e:\n    print('SOCKFILE refused', type(e).__name__)\n")
    root = scratch()
    got = probe.scenario({"kernels": [{"root": root}], "steps": [[0, code]]})
    assert "SOCKFILE refused PermissionError" in got["outputs"][0], got["outputs"][0]
    assert not os.path.exists(os.path.join(root, "sock", "big.bin"))


ENVIRON = """
import ctypes, os
def proc_environ():
    try:
        return open("/proc/self/environ", "rb").read()
    except OSError as e:
        return b"refused " + type(e).__name__.encode()
def environ_block():  # the block itself, in the kernel's own memory (what /proc/self/environ shows)
    fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
    start, end = int(fields[47]), int(fields[48])
    return ctypes.string_at(start, end - start)
print("PROC", proc_environ())
print("BLOCK", environ_block())
print("OS", sorted(os.environ))
"""


def test_the_kernel_environment_holds_nothing_of_the_graders(scratch, monkeypatch):
    secret = "grader-secret-" + uuid.uuid4().hex
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", secret)
    got = probe.scenario({"kernels": [{"root": scratch()}], "steps": [[0, ENVIRON]]})
    printed = got["outputs"][0]
    assert "BLOCK b'" in printed and "PATH=" in printed, printed  # the probe did read the block
    assert secret not in printed and "AUTOGRADER_TEST_SECRET" not in printed, printed
    # planted: a zygote started with the grader's environment -- the secret is in every kernel's block
    monkeypatch.setattr(kernel, "zygote_env", lambda: dict(os.environ))
    got = probe.scenario({"kernels": [{"root": scratch()}], "steps": [[0, ENVIRON]]})
    assert secret in got["outputs"][0]


OTHER_KERNEL = CONNECT + """
import os
for path in {sockets0}:
    print("SOCKET", connect(path))
home = os.path.join(os.path.dirname(os.path.dirname({sockets0}[0])), "home")
for path in (os.path.join(home, ".kernel.json"), "/proc/{pid0}/environ"):
    try:
        open(path).read()
        print("READ", path)
    except OSError as e:
        print("UNREAD", type(e).__name__)
try:
    os.kill({pid0}, 0)
    print("SIGNAL sent")
except OSError as e:
    print("SIGNAL refused", type(e).__name__)
"""


def _other_kernel_scenario(make_root, owner):
    victim, attacker, planted = make_root(owner), make_root(owner), make_root(owner)
    return {"kernels": [{"root": victim}, {"root": attacker}, {"root": planted, "limits": {"read_only": [victim]}}],
            "steps": [[1, OTHER_KERNEL], [2, OTHER_KERNEL]]}


def _check_other_kernel(got, planted_words):
    printed, planted = got["outputs"]
    assert printed.count("SOCKET refused FileNotFoundError") == 5, printed  # not even there
    assert printed.count("UNREAD") == 2 and "READ /" not in printed, printed
    assert "SIGNAL refused" in printed, printed
    # planted: the victim's scratch in the attacker's view -- then only a uid of its own stands in the way
    assert planted.count(planted_words) == 5, planted


@pytest.mark.skipif(not sandbox.is_root(), reason="root mode: the tests run as an unprivileged user")
def test_other_kernels_are_unreachable_as_root(scratch):
    got = probe.scenario(_other_kernel_scenario(scratch, None))
    _check_other_kernel(got, "SOCKET refused PermissionError")
    assert all(n["user"].startswith("unprivileged uid") for n in got["notes"])


def _unprivileged_scenario(spec):
    """Run a scenario as an unprivileged user: directly when not root, else as `nobody` via sandbox_probe."""
    if not sandbox.is_root():
        return probe.scenario(spec)
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare(1): the non-root mode cannot be tried here")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
    os.chmod(fh.name, 0o644)
    try:
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", sys.executable,
                               probe.__file__, "as-user", str(NOBODY), fh.name],
                              capture_output=True, text=True, timeout=600, cwd="/")
    finally:
        os.remove(fh.name)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


NOBODY = 65534


def test_other_kernels_are_unreachable_without_root(scratch):
    """Not root: every kernel keeps the grader's uid, so the isolation must come from the view, the PID
    namespace and Landlock scoping -- and the results must say which of these held."""
    got = _unprivileged_scenario(_other_kernel_scenario(scratch, NOBODY if sandbox.is_root() else None))
    _check_other_kernel(got, "SOCKET connected")
    for notes in got["notes"]:
        assert notes["user"].startswith("the grader's own uid") and "other kernels are out of reach" in notes["user"]


def test_without_root_the_environment_block_is_readable_and_clean(scratch, monkeypatch):
    """Not root, ``/proc/self/environ`` is readable (as root the uid change closes it): it must be clean."""
    secret = "grader-secret-" + uuid.uuid4().hex
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", secret)
    got = _unprivileged_scenario({"kernels": [{"root": scratch(NOBODY if sandbox.is_root() else None)}],
                                  "steps": [[0, ENVIRON]]})
    printed = got["outputs"][0]
    assert "PROC b'" in printed and "PATH=" in printed.split("BLOCK")[0], printed
    assert secret not in printed and "AUTOGRADER_TEST_SECRET" not in printed, printed


def test_tcp_to_the_host_is_refused(scratch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        code = CONNECT + f"print('TCP', connect({listener.getsockname()!r}, socket.AF_INET))\n"
        assert "TCP connected" in plain_python(code) and arrived(listener)
        got = probe.scenario({"kernels": [{"root": scratch()}, {"root": scratch(), "limits": {"network": True}}],
                              "steps": [[0, code], [1, code]]})
        assert "TCP refused" in got["outputs"][0] and got["notes"][0]["network"].startswith("none")
        # planted: the network the instructor may allow -- then the kernel does connect, and the results say so
        assert "TCP connected" in got["outputs"][1] and arrived(listener)
        assert got["notes"][1]["network"].startswith("on") and "no TCP" not in got["notes"][1]["files"]
