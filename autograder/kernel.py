"""Sandboxed kernels for nbclient/nbgrader, forked from a warm "zygote" process.

Starting a Python kernel costs far more than running a warm-up notebook (interpreter start, importing
ipykernel, IPython and numpy).  A grading worker therefore starts one zygote (``python -m
autograder.kernel``) that imports those modules once; each kernel is then a ``fork()`` of it:

    worker ──pipe──▶ zygote ──fork──▶ monitor (setsid; new PID/net/mount namespaces) ──fork──▶ kernel

The kernel applies :func:`autograder.sandbox.enter` (a root of its own with a disk quota, Landlock, rlimits,
an unprivileged uid) and runs ``ipykernel``'s own ``launch_new_instance`` -- exactly what ``python -m
ipykernel_launcher`` runs, minus the imports.  Kernel specs that are not this Python's ipykernel are exec'd
after the same sandboxing.  The kernel talks to nbclient over ZeroMQ ``ipc://`` sockets in its socket folder
(TCP would not cross the network namespace); the connection file is in the kernel's home.  The zygote starts
with a minimal environment (:func:`zygote_env`): a fork keeps its parent's environment block, which is what
the kernel's ``/proc/self/environ`` shows.  For jupyter_client the kernel is an ordinary process:
:class:`SandboxProvisioner` is a ``LocalProvisioner`` whose process is a :class:`ForkedKernel`
(poll/wait/signals through pidfds).
"""
import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from . import sandbox

# What a started kernel has imported (ipykernel brings its debugger along); importing it in the zygote
# makes every forked kernel start warm.  None of these starts a thread at import time.
PRELOAD = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.comm", "ipykernel.debugger",
           "IPython.core.interactiveshell", "jupyter_client.session", "debugpy", "debugpy.server", "pydevd", "sqlite3",
           "pdb", "tornado.queues", "tornado.locks", "xmlrpc.client", "http.server", "unicodedata", "secrets", "gzip",
           "faulthandler", "runpy", "pydoc", "numpy", "numpy.random", "matcalc", "autograder.bridge"]
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
LOCALE_ENV = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ")
KEEP_ENV = (*LOCALE_ENV, "NBGRADER_EXECUTION", "NBGRADER_VALIDATING")
PATH = os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])


def zygote_env():
    """The zygote's whole environment.  A forked kernel's ``/proc/self/environ`` is this block (a fork
    inherits it; changing ``os.environ`` later does not rewrite it), so it holds nothing of the grader's."""
    env = {k: v for k, v in os.environ.items() if k in LOCALE_ENV}
    env.setdefault("LANG", "C.UTF-8")
    return dict(env, **THREAD_ENV, PATH=PATH, PYDEVD_DISABLE_FILE_VALIDATION="1")


def kernel_env(home, tmp, extra=None):
    """The whole environment of a student kernel: nothing of the grader's own environment leaks in."""
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
    env.update(THREAD_ENV)
    env.update({
        "PATH": PATH,
        "HOME": home, "TMPDIR": tmp, "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "IPYTHONDIR": os.path.join(home, ".ipython"), "JUPYTER_RUNTIME_DIR": tmp,
        "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    env.setdefault("LANG", "C.UTF-8")
    env.update(extra or {})
    return env


# -- worker side -----------------------------------------------------------------------------------

class Zygote:
    """A warm process that forks sandboxed kernels on request (one per grading worker)."""

    def __init__(self, preload=PRELOAD, cwd=None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.kernel", *preload], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            cwd=cwd or "/", env=zygote_env(), close_fds=True, preexec_fn=_die_with_parent)
        ready = self.proc.stdout.readline()
        if not ready.startswith(b"ready"):
            raise RuntimeError(f"the kernel zygote did not start: {ready!r}")

    def launch(self, argv, env, cwd, spec):
        if self.proc.poll() is not None:
            raise RuntimeError("the kernel zygote has exited")
        request = {"argv": argv, "env": env, "cwd": cwd, "spec": spec}
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline() or b'{"error": "the kernel zygote died"}')
        if "error" in reply:
            raise RuntimeError(f"could not start a sandboxed kernel: {reply['error']}")
        return ForkedKernel(reply["monitor"], reply["kernel"], spec.get("status"))

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _die_with_parent():
    try:
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


class ForkedKernel:
    """What jupyter_client needs of a ``Popen`` for a kernel that is not our child."""

    stdin = stdout = stderr = None

    def __init__(self, monitor, kernel, status_path):
        self.pid = monitor
        self.kernel_pid = kernel
        self.status_path = status_path
        self.returncode = None
        self._monitor_fd = os.pidfd_open(monitor)
        try:
            self._kernel_fd = os.pidfd_open(kernel)
        except ProcessLookupError:  # died already (a kernel that could not start)
            self._kernel_fd = None

    def poll(self):
        if self.returncode is None:
            ready = select.poll()
            ready.register(self._monitor_fd, select.POLLIN)
            if ready.poll(0):
                self.returncode = self._exit_status()
                self._close()
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.02)
        return self.returncode

    def _exit_status(self):
        try:
            with open(self.status_path) as fh:
                return int(json.load(fh)["returncode"])
        except (OSError, ValueError, KeyError, TypeError):
            return -signal.SIGKILL

    def send_signal(self, signum):
        if signum in (signal.SIGKILL, signal.SIGTERM):
            return self.kill()
        if self._kernel_fd is not None and self.returncode is None:
            try:
                signal.pidfd_send_signal(self._kernel_fd, signum)
            except ProcessLookupError:
                pass

    def kill(self):
        if self.returncode is not None:
            return
        if self._kernel_fd is not None:
            try:
                signal.pidfd_send_signal(self._kernel_fd, signal.SIGKILL)
            except (ProcessLookupError, OSError):
                pass
        # the monitor records the exit and leaves at once; waiting here spares jupyter_client's 0.1 s polls
        ready = select.poll()
        ready.register(self._monitor_fd, select.POLLIN)
        if not ready.poll(2000):
            signal.pidfd_send_signal(self._monitor_fd, signal.SIGKILL)
        self.poll()

    def wait_for_sockets(self, paths, timeout=30):
        """Return once the kernel has bound its ipc sockets (so the client never connects too early)."""
        deadline = time.monotonic() + timeout
        while not all(os.path.exists(p) for p in paths):
            if self.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.003)
        return True

    terminate = kill

    def _close(self):
        for name in ("_kernel_fd", "_monitor_fd"):
            fd = getattr(self, name)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching through the worker's :class:`Zygote`."""

    async def launch_kernel(self, cmd, **kwargs):
        km = self.parent
        spec = km.sandbox
        env = kernel_env(spec["home"], spec["tmp"], self.kernel_spec.env)
        self.process = km.zygote.launch(list(cmd), env, str(kwargs.get("cwd") or spec["run_dir"]), spec["plan"])
        self.pid, self.pgid = self.process.pid, None
        info = self.connection_info
        self.process.wait_for_sockets([f"{info['ip']}-{info[name]}" for name in
                                       ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")])
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def send_signal(self, signum):
        if self.process:
            self.process.send_signal(signum)

    async def kill(self, restart=False):
        if self.process:
            self.process.kill()

    async def terminate(self, restart=False):
        if self.process:
            self.process.kill()


class SandboxKernelManager(AsyncKernelManager):
    """An async kernel manager whose kernels are sandboxed forks talking over ipc:// sockets.

    Set ``sandbox`` (a dict with ``plan``, ``run_dir``, ``home``, ``tmp``, ``sock_dir``) and ``zygote``
    before starting the kernel.
    """

    sandbox = None
    zygote = None

    async def _async_pre_start_kernel(self, **kw):
        self.transport = "ipc"
        self.ip = os.path.join(self.sandbox["sock_dir"], "k")
        # in the kernel's (quota'd) home, copied there at start: the socket folder holds only sockets
        self.connection_file = os.path.join(self.sandbox["home"], ".kernel.json")
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            self.provisioner = SandboxProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


# -- zygote side ------------------------------------------------------------------------------------

def _reap(*_):
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def zygote_main(preload):
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)  # `python -m` put the zygote's working folder first
    for name in preload:
        try:
            __import__(name)
        except Exception:  # a missing optional module only costs speed
            pass
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader to decide about
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # stray prints must never reach the worker's pipe
    out.write(b"ready\n")
    for line in sys.stdin.buffer:
        request = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            _monitor(request, w)  # never returns
        os.close(w)
        with os.fdopen(r, "rb") as fh:
            data = fh.read()
        try:
            reply = json.loads(data)
        except ValueError:
            reply = {"error": "the sandbox monitor failed before starting the kernel"}
        reply["monitor"] = pid
        out.write(json.dumps(reply).encode() + b"\n")


def _monitor(request, w):
    """Own the kernel: namespaces, fork it, relay signals, wait, clean up, record its exit status."""
    code = 0
    try:
        os.setsid()
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        spec = request["spec"]
        spec["uid"] = sandbox.UID_BASE + os.getpid()
        notes = sandbox.unshare(spec)
        try:
            sandbox.prctl(sandbox.PR_SET_CHILD_SUBREAPER, 1)
        except OSError:
            pass
        kernel = os.fork()
        if kernel == 0:
            os.close(w)
            _kernel(request, spec, notes)  # never returns
        os.write(w, json.dumps({"kernel": kernel}).encode())
        os.close(w)
        signal.signal(signal.SIGTERM, lambda *_: os.kill(kernel, signal.SIGKILL))
        signal.signal(signal.SIGINT, lambda *_: os.kill(kernel, signal.SIGINT))
        while True:
            try:
                pid, status = os.waitpid(kernel, 0)
                break
            except InterruptedError:
                continue
        code = os.waitstatus_to_exitcode(status)
        sandbox.kill_children()  # orphans, where there was no PID namespace to end them
        sandbox.cleanup(spec)
        status_path = spec.get("status")
        if status_path:
            with open(status_path + ".tmp", "w") as fh:
                json.dump({"returncode": code}, fh)
            os.replace(status_path + ".tmp", status_path)
    except BaseException as exc:  # noqa: BLE001 - report anything to the zygote, then leave
        try:
            os.write(w, json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        except OSError:
            pass
        code = 70
    os._exit(0 if code == 0 else 1)


def _kernel(request, spec, notes):
    try:
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 65536)  # nothing of the zygote's pipes or the worker's files stays open
        sandbox.enter(spec, notes)
        cwd = request["cwd"]
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(request["env"])
        argv = request["argv"]
        if _is_this_ipykernel(argv):
            quota = spec.get("disk_mb") if notes.get("disk", "").startswith("quota") else None
            _run_ipykernel(argv, cwd, quota)
        else:
            os.execve(argv[0], argv, request["env"])
    except BaseException:  # noqa: BLE001
        import traceback
        try:
            with open(os.path.join(request["cwd"], ".kernel-start-error.txt"), "w") as fh:
                traceback.print_exc(file=fh)
        except OSError:
            pass
    os._exit(70)


def _is_this_ipykernel(argv):
    return (len(argv) >= 3 and argv[1:3] == ["-m", "ipykernel_launcher"]
            and os.path.realpath(argv[0]) == os.path.realpath(sys.executable))


def _run_ipykernel(argv, cwd, quota_mb=None):
    sys.argv = ["ipykernel_launcher", *argv[3:]]
    sys.path[:] = [cwd] + [p for p in sys.path if p and p != os.getcwd() and p != cwd]
    if "numpy" in sys.modules:  # a fork shares its parent's random state: draw fresh entropy
        sys.modules["numpy"].random.seed()
    import random
    random.seed()
    from ipykernel import kernelapp
    app = kernelapp.IPKernelApp.instance()  # what launch_new_instance does, with the quota explained
    app.initialize()
    if quota_mb:
        _explain_full_disk(app.shell, quota_mb)
    app.start()
    os._exit(0)


def _explain_full_disk(shell, quota_mb):
    """A cell that fills the disk quota ends with an error that says so (the error is the student's own)."""
    import errno

    def explain(self, etype, value, tb, tb_offset=None):
        if OSError.errno.__get__(value) == errno.ENOSPC:  # the C slot: a subclass cannot make this raise
            value = OSError(errno.ENOSPC, f"No space left on device: the disk quota of {quota_mb} MB for this "
                                          "submission is used up", OSError.filename.__get__(value))
            etype = OSError
        self.showtraceback((etype, value, tb), tb_offset=tb_offset)

    shell.set_custom_exc((OSError,), explain)


if __name__ == "__main__":
    zygote_main(sys.argv[1:])
