"""nbgrader's Execute step, split: student cells in a sandboxed kernel, test cells in a trusted checker.

:class:`SplitExecute` replaces :class:`nbgrader.preprocessors.Execute` in the autograde pipeline
(``Autograde.autograde_preprocessors``) and in ``autograder validate``; everything after it (LimitOutput,
SaveAutoGrades, late penalties) is nbgrader's own.

* The student's cells and the given code run in the student's kernel (sandboxed where the platform
  allows).  Test cells never do: each runs in the checker (:mod:`autograder.checker`), which also runs the
  given code and calls the student's functions through the kernel, exchanging plain data only.  A test
  cell's outputs are written here from the checker's verdict, so nothing the student's code prints,
  displays or publishes can make a test look passed.
* Which cells are the instructor's (given code, tests) comes from the gradebook (``trusted_cells``), never
  from the submission's metadata; without a gradebook (validate) the notebook's own locked cells are used.
* A cell that runs past its timeout is interrupted; past the notebook's limit, or when the kernel ignores
  the interrupt, the kernel is killed and the remaining cells are marked "not run" -- the tests already
  passed keep their points.  A kernel that dies likewise ends the run with a reason.
* Output beyond ``max_output_bytes`` per cell is dropped as it arrives, and a cell that keeps printing is
  interrupted.

What happened is written into the notebook's metadata (``autograder``) for the worker.
"""
import json
import os
import shutil
import signal
import time
from queue import Empty

import zmq.asyncio

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.client import NotebookClient
from nbclient.util import run_hook
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Dict, Integer, List, Unicode

from . import bridge, checker, tamper

NOT_RUN = "NotRun"
KINDS = {"callable", "data", "module"}
INTERRUPT_GRACE = 10   # seconds a student's function gets to stop after an interrupt
PRINT_LIMIT = 10_000   # characters a student's function may print during one test cell
CHECKER_GRACE = 30     # seconds the checker's own work may run past a test cell's time limit


def _signal_words(code):
    if code is None:
        return "the kernel stopped"
    if code >= 0:
        return f"the kernel exited with code {code} (os._exit(), or a crash inside a C library)"
    sig = -code
    if sig == signal.SIGXCPU:
        return "the kernel used up its CPU-time limit"
    if sig == signal.SIGKILL:
        return "the kernel was killed (a memory, process or time limit)"
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = f"signal {sig}"
    return f"the kernel crashed ({name})"


class SplitExecute(Execute):
    """nbgrader's Execute with student cells in a sandboxed kernel and test cells in the trusted checker."""

    notebook_timeout = Integer(600, help="Wall-clock seconds for a whole notebook (kernel start included).").tag(config=True)
    max_output_bytes = Integer(1 << 20, help="Output kept per cell; a cell printing 10x more is interrupted.").tag(config=True)
    sandbox = Dict(help="Scratch folders and the sandbox plan (see autograder.sandbox.plan).").tag(config=True)
    trusted_cells = Dict(help="notebook -> grade_id -> {source, test}: the instructor's code cells (gradebook).").tag(config=True)
    expected_flags = Dict(help="notebook -> grade_id -> review flags the instructor's own solution raises.").tag(config=True)
    item_reasons = Dict(help="grade_id -> reasons found before execution (they fail that test).").tag(config=True)
    general_reasons = List(Unicode(), help="Reasons found before execution that fail every test.").tag(config=True)

    zygote = None  # set by the worker: autograder.kernel.Zygote (None: an ordinary, unsandboxed kernel)

    def __init__(self, *args, **kwargs):
        from .kernel import SandboxKernelManager
        if type(self).zygote is not None:
            kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)

    # -- kernel --------------------------------------------------------------------------------------
    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if type(self).zygote is not None:
            km.sandbox = dict(self.sandbox)
            km.zygote = type(self).zygote
        return km

    async def async_start_new_kernel_client(self):
        """As nbclient's, but ready as soon as ipykernel's IOPub welcome (JEP 65) proves IOPub connected.

        jupyter_client's generic handshake instead waits 0.2 s for an IOPub message that a fresh
        ipykernel does not send -- a fifth of the time a warm-up notebook needs.
        """
        if type(self).zygote is None:
            return await super().async_start_new_kernel_client()
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        deadline = time.monotonic() + min(10, self.startup_timeout)
        welcomed = False
        try:
            while time.monotonic() < deadline:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=max(0.01, deadline - time.monotonic())))
                if msg.get("msg_type") == "iopub_welcome":
                    welcomed = True
                    break
        except Empty:
            pass
        if not welcomed:
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    # -- the run ---------------------------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.shutdown_kernel = "immediate"
        self._report = report = {"stopped": None, "items": {}, "general": list(self.general_reasons),
                                 "truncated": [], "sandbox": {}, "notes": [], "flags": [], "checker_seconds": 0.0}
        self._prepare_run_dir()
        self._ran = set()
        start = time.monotonic()
        self._deadline = deadline = start + self.notebook_timeout
        per_cell = self.timeout if self.timeout and self.timeout > 0 else None
        self._per_cell = per_cell or self.notebook_timeout

        def timeout_for(cell):
            left = deadline - time.monotonic()
            return max(1, int(min(per_cell, left) if per_cell else left))

        self.timeout_func = timeout_for
        roles = self._roles()
        self._checker = None
        try:
            with self.setup_kernel():
                info_msg = self.wait_for_reply(self.kc.kernel_info())
                if info_msg is None:
                    raise DeadKernelError("the kernel did not answer")
                self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                self._checker = CheckerProcess(self._checker_dir())
                for index, cell in enumerate(self.nb.cells):
                    if cell.cell_type != "code":
                        continue
                    if report["stopped"] is None and time.monotonic() > deadline:
                        report["stopped"] = (f"the notebook ran past its time limit of {self.notebook_timeout} s; "
                                             "the kernel was stopped")
                    if report["stopped"] is not None:
                        self._not_run(cell, report["stopped"])
                        continue
                    self._run_cell(cell, index, resources, roles.get(index, "student"))
        except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError) as exc:
            if not self._ran:  # no student code ran yet: the grader failed, not the student (retried next run)
                raise
            if report["stopped"] is None:
                report["stopped"] = f"the kernel could not be started or stopped working ({exc})"
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type == "code" and index not in self._ran:
                    self._not_run(cell, report["stopped"])
        finally:
            if self._checker is not None:
                self._checker.close()
            report["sandbox"] = self._sandbox_notes()
            report["seconds"] = round(time.monotonic() - start, 3)
        notebook = (self.resources.get("nbgrader") or {}).get("notebook")
        report["flags"] = review_flags(self.nb, roles, self.expected_flags.get(notebook, {}))
        self._apply_reasons(roles)
        self.nb.metadata["autograder"] = report
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _roles(self):
        """index -> "test", "given" or "student", from the gradebook's sources (or the notebook's, to validate)."""
        roles, seen = {}, set()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            gid = meta.get("grade_id")
            if self.trusted_cells:
                notebook = (self.resources.get("nbgrader") or {}).get("notebook")
                known = self.trusted_cells.get(notebook, {}).get(gid)
                if gid in seen or known is None or cell.source != known["source"]:
                    roles[index] = "student"
                else:
                    roles[index] = "test" if known["test"] else "given"
            elif meta.get("locked") and gid not in seen:
                roles[index] = "test" if tamper.is_test(cell) else "given"
            else:
                roles[index] = "student"
            seen.add(gid)
        return roles

    def _checker_dir(self):
        return self.sandbox.get("run_dir") or (self.resources.get("metadata") or {}).get("path") or os.getcwd()

    def _run_cell(self, cell, index, resources, role):
        report = self._report
        self._cell_bytes = 0
        self._interrupted = False
        self._ran.add(index)
        try:
            if role == "test":
                self._run_test(cell, index)
                return
            self.preprocess_cell(cell, resources, index)
            self._note_errors(cell, index)
        except (CellTimeoutError, DeadKernelError) as exc:
            report["stopped"] = self._why_stopped(exc)
            name = "CellTimeoutError" if isinstance(exc, CellTimeoutError) else "DeadKernelError"
            cell.outputs.insert(0, tamper.error_output(name, report["stopped"]))
            if role != "given":
                return
        if role == "given":
            verdict = self._checker.run_given(cell.source, f"given {index + 1}")
            if not verdict["ok"]:
                report["notes"].append(f"given cell {index + 1} failed in the checker: {verdict['ename']}: "
                                       f"{verdict['evalue'][:200]}")

    # -- test cells, in the checker ---------------------------------------------------------------------
    def _run_test(self, cell, index):
        started = time.monotonic()
        try:
            self._run_test_in_checker(cell, index)
        finally:
            self._report["checker_seconds"] = round(self._report["checker_seconds"] + time.monotonic() - started, 4)

    def _run_test_in_checker(self, cell, index):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        deadline = min(self._deadline, time.monotonic() + self._per_cell)
        self._printed = []
        names = self._kernel_names(deadline)
        verdict = self._checker.run_test(cell.source, gid, hidden_lines(cell.source), names, deadline,
                                         lambda kind, payload: self._serve_checker(kind, payload, deadline))
        text = verdict.get("stdout", "") + "".join(self._printed)
        outputs = [NotebookNode(output_type="stream", name="stdout", text=text[-20000:])] if text else []
        if not verdict["ok"]:
            outputs.append(NotebookNode(output_type="error", ename=verdict["ename"], evalue=verdict["evalue"],
                                        traceback=verdict["traceback"]))
        cell.outputs = outputs
        cell.execution_count = None
        if verdict.get("stopped"):
            self._report["stopped"] = verdict["stopped"]

    def _serve_checker(self, kind, payload, deadline):
        """Answer the checker's request from the student's kernel: ('outcome', json) or ('failed', words, why)."""
        if kind == "fetch":
            code = f"__import__('autograder.bridge').bridge.fetch({payload!r})"
            what = f"reading your variable {payload}"
        else:
            code = f"__import__('autograder.bridge').bridge.call({payload!r})"
            what = f"your function {_name_of(payload)}"
        return run_sync(self._bridge)(code, what, deadline)

    def _kernel_names(self, deadline):
        reply = run_sync(self._bridge)("__import__('autograder.bridge').bridge.names()", "listing your names",
                                       deadline, final_key="names")
        try:
            names = json.loads(reply[1])["names"] if reply[0] == "outcome" else {}
        except (ValueError, KeyError, TypeError):
            names = {}
        if type(names) is not dict:
            return {}
        return {k: v for k, v in names.items() if type(k) is str and k.isidentifier() and v in KINDS}

    async def _bridge(self, code, what, deadline, final_key=None):
        """Run bridge code silently in the student's kernel, relaying its requests; return its outcome."""
        if self._report["stopped"] is not None:
            return ("failed", f"{what} could not run: {self._report['stopped']}", "stopped")
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=True)
        poller = zmq.asyncio.Poller()
        channels = {self.kc.stdin_channel.socket: "stdin", self.kc.shell_channel.socket: "shell",
                    self.kc.iopub_channel.socket: "iopub"}
        for socket in channels:
            poller.register(socket, zmq.POLLIN)
        outcome, replied, idle, interrupted = None, False, False, None
        while not (replied and idle):
            left = deadline - time.monotonic()
            if left <= 0 and interrupted is None:
                interrupted = time.monotonic()
                await ensure_async(self.km.interrupt_kernel())
                outcome = ("failed", f"{what} did not finish within the time limit of {self._per_cell:g} s for "
                           "a test cell (an endless loop?)", "timeout")
            if interrupted is not None and time.monotonic() - interrupted > INTERRUPT_GRACE:
                self._report["stopped"] = ("your code did not stop when interrupted; the kernel was stopped and "
                                           "the remaining cells were not run")
                await ensure_async(self.km.shutdown_kernel(now=True))
                return outcome
            if not await ensure_async(self.km.is_alive()):
                code_ = self._kernel_exit_code()
                self._report["stopped"] = f"{_signal_words(code_)} while running {what}; the remaining cells were not run"
                return ("failed", self._report["stopped"], "stopped")
            ready = dict(await poller.poll(timeout=max(10, int(min(max(left, 0.01), 1.0) * 1000))))
            for socket in ready:
                channel = channels[socket]
                msg = await getattr(self.kc, f"{channel}_channel").get_msg(timeout=0)
                mine = msg.get("parent_header", {}).get("msg_id") == msg_id
                if channel == "stdin":
                    answer = ""
                    prompt = msg.get("content", {}).get("prompt", "")
                    if mine and prompt.startswith(bridge.MARK) and outcome is None:
                        answer, outcome = self._from_kernel(prompt[len(bridge.MARK):], final_key)
                    self.kc.input(answer)
                elif channel == "shell" and mine:
                    replied = True
                elif channel == "iopub" and mine:
                    kind = msg["msg_type"]
                    if kind == "status" and msg["content"].get("execution_state") == "idle":
                        idle = True
                    elif kind == "stream" and sum(map(len, self._printed)) < PRINT_LIMIT:
                        self._printed.append(msg["content"].get("text", ""))
        if outcome is None:
            outcome = ("failed", f"{what}: your kernel ended the call without an answer (was autograder's "
                       "bridge replaced?)", "garbled")
        return outcome

    def _from_kernel(self, text, final_key):
        """A message from the bridge: relay a callback to the checker, or take it as the outcome."""
        try:
            message = json.loads(text)
        except ValueError:
            return "", ("failed", "a garbled message came from your kernel", "garbled")
        if type(message) is dict and "callback" in message and final_key is None:
            return self._checker.callback(text), None
        if final_key is not None:
            return "", ("outcome", text) if type(message) is dict and final_key in message else \
                ("failed", "a garbled message came from your kernel", "garbled")
        return "", ("outcome", text)

    def _note_errors(self, cell, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "MemoryError":
                limit = (self.sandbox.get("plan") or {}).get("memory_mb")
                words = f"cell {index + 1} ran out of memory" + (f" (the limit is {limit} MB)" if limit else "")
            elif output.get("ename") == "SystemExit":
                words = f"cell {index + 1} called sys.exit(); IPython caught it and the notebook went on"
            elif output.get("ename") == "KeyboardInterrupt" and getattr(self, "_interrupted", False):
                words = f"cell {index + 1} printed too much and was interrupted"
            elif output.get("ename") == "CellTimeoutError":
                words = f"cell {index + 1} ran past its time limit ({self.timeout} s per cell) and was interrupted"
            else:
                continue
            if words not in self._report["notes"]:
                self._report["notes"].append(words)

    def _why_stopped(self, exc):
        if isinstance(exc, CellTimeoutError):
            return ("a cell did not finish within its time limit and did not stop when interrupted; "
                    "the kernel was stopped and the remaining cells were not run")
        code = self._kernel_exit_code()
        return f"{_signal_words(code)}; the remaining cells were not run"

    def _kernel_exit_code(self):
        path = (self.sandbox.get("plan") or {}).get("status")
        for _ in range(50):
            if path and os.path.exists(path):
                try:
                    import json
                    with open(path) as fh:
                        return int(json.load(fh)["returncode"])
                except (OSError, ValueError, KeyError):
                    return None
            time.sleep(0.02)
        return None

    def _not_run(self, cell, reason):
        cell.outputs = [tamper.error_output(NOT_RUN, f"this cell was not run: {reason}")]
        cell.execution_count = None

    def _apply_reasons(self, roles):
        """Fail the tests that were tampered with (found before the run): nbgrader scores the first error."""
        report = self._report
        for gid, reasons in self.item_reasons.items():
            report["items"].setdefault(gid, [])
            report["items"][gid][:0] = [r for r in reasons if r not in report["items"][gid]]
        general = report["general"]
        for index, cell in enumerate(self.nb.cells):
            if not tamper.is_test(cell):
                continue
            gid = cell.metadata["nbgrader"].get("grade_id")
            reasons = general + report["items"].get(gid, [])
            if reasons:  # first: nbgrader scores a cell by its first error or result output
                cell.outputs.insert(0, tamper.error_output(
                    tamper.TAMPERING, "no credit for this test: " + "; ".join(reasons)))

    # -- output limits ---------------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        size = _size(msg.get("content", {}))
        self._cell_bytes = getattr(self, "_cell_bytes", 0) + size
        limit = self.max_output_bytes
        if limit and limit > 0 and self._cell_bytes > limit and msg["msg_type"] in ("stream", "display_data",
                                                                                   "execute_result", "update_display_data"):
            if not getattr(self, "_truncated_note", None) == cell_index:
                self._truncated_note = cell_index
                self._report["truncated"].append(cell_index)
                outs.append(NotebookNode(output_type="stream", name="stdout",
                                         text=f"\n[output truncated by the grader: more than {limit >> 10} KiB]\n"))
            if self._cell_bytes > 10 * limit and not self._interrupted:
                self._interrupted = True
                import asyncio
                asyncio.ensure_future(self.km.interrupt_kernel())
            return None
        return super().output(outs, msg, display_id, cell_index)

    # -- files -------------------------------------------------------------------------------------------
    def _prepare_run_dir(self):
        """Copy the notebook's folder (data files, no notebooks) into the kernel's scratch folder."""
        run_dir = self.sandbox.get("run_dir")
        source = (self.resources.get("metadata") or {}).get("path")
        if not run_dir:
            return
        if source and os.path.isdir(source) and os.path.realpath(source) != os.path.realpath(run_dir):
            for name in os.listdir(source):
                src = os.path.join(source, name)
                if name.endswith(".ipynb") or name.startswith(".") or os.path.islink(src):
                    continue
                dst = os.path.join(run_dir, name)
                if os.path.isdir(src):
                    shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=True)
                else:
                    shutil.copy(src, dst)
        self.resources.setdefault("metadata", {})["path"] = run_dir

    def _sandbox_notes(self):
        path = (self.sandbox.get("plan") or {}).get("report")
        if path and os.path.exists(path):
            try:
                import json
                with open(path) as fh:
                    return json.load(fh)
            except (OSError, ValueError):
                pass
        if type(self).zygote is None:
            return {"sandbox": "none on this platform: an ordinary kernel (time and output limits still apply)"}
        return {}


def _size(content):
    total = 0
    if isinstance(content, dict):
        for key, value in content.items():
            total += _size(value) if isinstance(value, (dict, list)) else len(value) if isinstance(value, str) else 0
    elif isinstance(content, list):
        for value in content:
            total += _size(value) if isinstance(value, (dict, list)) else len(value) if isinstance(value, str) else 0
    return total


class CheckerProcess:
    """The grader's handle on one checker process (see :mod:`autograder.checker`)."""

    def __init__(self, cwd):
        ctx = checker.context()
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=checker.serve, args=(child, cwd), daemon=True)
        self.proc.start()
        child.close()
        self.dead = None

    def run_given(self, source, label):
        return self._run(("given", source, label), time.monotonic() + 600, None)

    def run_test(self, source, label, hidden, names, deadline, serve):
        return self._run(("test", source, label, sorted(hidden), names), deadline, serve)

    def callback(self, text):
        self.conn.send(("callback", text))
        kind, payload = self.conn.recv()
        return payload if kind == "callback_result" else ""

    def _run(self, message, deadline, serve):
        if self.dead:
            return {"ok": False, "ename": NOT_RUN, "evalue": self.dead, "traceback": [], "stopped": self.dead}
        self.conn.send(message)
        while True:
            left = deadline + CHECKER_GRACE - time.monotonic()
            if left <= 0 or not self.conn.poll(left):
                self.dead = "the test did not finish in time; the remaining tests were not run"
                self.close()
                return {"ok": False, "ename": "CellTimeoutError", "evalue": self.dead, "traceback": [],
                        "stopped": self.dead}
            try:
                kind, *payload = self.conn.recv()
            except EOFError:
                self.dead = "the checker stopped unexpectedly; the remaining tests were not run"
                return {"ok": False, "ename": "RuntimeError", "evalue": self.dead, "traceback": [],
                        "stopped": self.dead}
            if kind == "ran":
                return payload[0]
            self.conn.send(serve(kind, payload[0]))

    def close(self):
        try:
            self.conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def hidden_lines(source):
    """1-based numbers of the lines inside ``### BEGIN/END HIDDEN TESTS`` (markers included)."""
    hidden, inside = set(), False
    for number, line in enumerate(source.split("\n"), 1):
        if "### BEGIN HIDDEN TESTS" in line:
            inside = True
        if inside:
            hidden.add(number)
        if "### END HIDDEN TESTS" in line:
            inside = False
    return hidden


def _name_of(request):
    try:
        return str(json.loads(request)["name"])
    except (ValueError, KeyError, TypeError):
        return "?"


def review_flags(nb, roles, expected=None):
    """Solution code that looks like numerical differentiation, for the instructor's review (no score change).

    ``expected`` (grade_id -> flags) holds what the instructor's own solution raises: an item whose task *is*
    a finite difference is not flagged for doing one.
    """
    from nbgrader import utils

    from .review import flags
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and roles.get(index) == "student" and utils.is_solution(cell):
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            allowed = set((expected or {}).get(gid, []))
            found += [f"cell {index + 1} ({gid}): {words}" for words in flags(cell.source) if words not in allowed]
    return found
