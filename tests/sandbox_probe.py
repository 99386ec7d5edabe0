"""Start sandboxed kernels the way a grading worker does, and run student code in them.

A kernel is forked from :class:`autograder.kernel.Zygote`, managed by ``SandboxKernelManager`` with a
``sandbox.plan`` for its own scratch folder (``run``, ``home``, ``sock``, ``meta``), as in
``autograder/worker.py``.  ``python sandbox_probe.py as-user UID SCENARIO.json`` runs a scenario as an
unprivileged user (the interpreter's folder under ``/root`` made reachable in a private mount namespace),
which is how the non-root mode is tested when the tests run as root.
"""
import asyncio
import json
import os
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import matcalc  # noqa: E402
from autograder import kernel, sandbox  # noqa: E402


def scratch(base=None, owner=None):
    """A submission's scratch folder, laid out as the worker lays it out."""
    root = tempfile.mkdtemp(prefix="sandbox-test-", dir=base)
    os.chmod(root, 0o711)
    for name in ("run", "home", "sock", "meta", "home/tmp"):
        os.makedirs(os.path.join(root, name))
    if owner is not None:
        for folder, dirs, _ in os.walk(root):
            os.chown(folder, owner, owner)
    return root


def plan(root, **limits):
    """The worker's plan for the scratch folder ``root``; ``limits`` as in ``sandbox.plan``."""
    folders = {name: os.path.join(root, name) for name in ("run", "home", "sock", "meta")}
    spec = sandbox.plan(run_dir=folders["run"], home=folders["home"], sock_dir=folders["sock"],
                        report=os.path.join(folders["meta"], "sandbox.json"),
                        read_only=[os.path.dirname(matcalc.__file__), os.path.dirname(kernel.__file__),
                                   *limits.pop("read_only", [])], **limits)
    spec["status"] = os.path.join(folders["meta"], "status.json")
    return {"plan": spec, "run_dir": folders["run"], "home": folders["home"],
            "tmp": os.path.join(folders["home"], "tmp"), "sock_dir": folders["sock"]}


class Kernel:
    """One sandboxed kernel: ``run(code)`` returns what the code printed (and any error's text)."""

    def __init__(self, zygote, box):
        self.box = box
        self.km = kernel.SandboxKernelManager(kernel_name="python3")
        self.km.sandbox, self.km.zygote = box, zygote

    async def start(self):
        await self.km.start_kernel(cwd=self.box["run_dir"])
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=120)
        return self

    async def run(self, code):
        out = []

        def keep(msg):
            content = msg["content"]
            if msg["msg_type"] == "stream":
                out.append(content["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{content['ename']}: {content['evalue']}\n")

        await self.kc.execute_interactive(code, output_hook=keep, timeout=120)
        return "".join(out)

    def notes(self):
        with open(self.box["plan"]["report"]) as fh:
            return json.load(fh)

    def sockets(self):
        """The paths of this kernel's ZeroMQ ipc sockets (what another kernel would try to reach)."""
        return sorted(os.path.join(self.box["sock_dir"], name) for name in os.listdir(self.box["sock_dir"]))

    async def stop(self):
        self.kc.stop_channels()
        await self.km.shutdown_kernel(now=True)


async def _scenario(spec):
    """Start the kernels of ``spec``, run each step's code in its kernel; return the outputs and notes.

    ``spec``: {"kernels": [{"root": folder, "limits": {...}}, ...], "steps": [[kernel number, code], ...]};
    in the code, ``{sockets1}`` stands for the socket paths of kernel 1 (a JSON list), ``{pid1}`` for its pid.
    """
    zygote = kernel.Zygote()
    kernels = []
    try:
        for k in spec["kernels"]:
            kernels.append(await Kernel(zygote, plan(k["root"], **k.get("limits", {}))).start())
        outputs = []
        for number, code in spec["steps"]:
            for i, other in enumerate(kernels):
                code = code.replace("{sockets%d}" % i, json.dumps(other.sockets()))
                code = code.replace("{pid%d}" % i, str(other.km.provisioner.process.kernel_pid))
            outputs.append(await kernels[number].run(code))
        return {"outputs": outputs, "notes": [k.notes() for k in kernels]}
    finally:
        for k in kernels:
            await k.stop()
        zygote.close()


def scenario(spec):
    """Run the scenario on an event loop of its own, in a thread of its own (the test process may already run
    one, e.g. Playwright's, left by another test in the same xdist worker)."""
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _scenario(spec)).result()


def _as_user(uid, spec_path):
    """Root, in a private mount namespace: make the interpreter, the venv and the repository reachable (a
    folder only root may enter, such as ``/root``, is covered by a view of just those), become ``uid``, run."""
    needed = [os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, REPO, tempfile.gettempdir())]
    blocked, _ = sandbox._make_reachable(needed, True)
    if blocked:
        raise SystemExit(f"{blocked} cannot be made reachable for uid {uid}")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    with open(spec_path) as fh:
        spec = json.load(fh)
    print(json.dumps(scenario(spec)))


if __name__ == "__main__" and sys.argv[1:2] == ["as-user"]:
    _as_user(int(sys.argv[2]), sys.argv[3])
