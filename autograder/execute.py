"""nbgrader's Execute preprocessor, run in a sandboxed kernel and watched by the tamper guard.

:class:`SandboxedExecute` replaces :class:`nbgrader.preprocessors.Execute` in the autograde pipeline
(``Autograde.autograde_preprocessors``); everything after it (LimitOutput, SaveAutoGrades, late penalties)
is nbgrader's own.  It differs from nbgrader's Execute in what happens when things go wrong:

* a cell that runs past its timeout is interrupted (nbgrader's behaviour); past the notebook's wall-clock
  limit, or when the kernel ignores the interrupt, the kernel is killed and the remaining cells are marked
  "not run" -- the tests already passed keep their points (partial credit) instead of nbgrader failing the
  whole submission;
* a kernel that dies (``os._exit``, a crash, the CPU limit) likewise ends the run with a reason;
* output beyond ``max_output_bytes`` per cell is dropped as it arrives, and a cell that keeps printing is
  interrupted, so gigabytes of output never reach memory or the gradebook;
* before and after every test cell the guard is asked what changed; a test that ran in a tampered kernel
  fails with a ``TamperingDetected`` error naming the change.

The kernel runs in a scratch folder holding copies of the assignment's files, never in nbgrader's
``autograded/`` folder.  What happened is left in :data:`REPORTS` for the worker.
"""
import os
import shutil
import signal
import time

from queue import Empty

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.client import NotebookClient
from nbclient.util import run_hook
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Dict, Integer, List, Unicode

from . import tamper

REPORTS = {}  # notebook id -> what the last run of it found (read by the worker)
NOT_RUN = "NotRun"


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


class SandboxedExecute(Execute):
    """nbgrader's Execute with a sandboxed kernel, a notebook time limit, output limits and the guard."""

    notebook_timeout = Integer(600, help="Wall-clock seconds for a whole notebook (kernel start included).").tag(config=True)
    max_output_bytes = Integer(1 << 20, help="Output kept per cell; a cell printing 10x more is interrupted.").tag(config=True)
    sandbox = Dict(help="Scratch folders and the sandbox plan (see autograder.sandbox.plan).").tag(config=True)
    forbidden = List(Unicode(), help="Paths the student's code may not open (checked by the guard).").tag(config=True)
    allowed = List(Unicode(), help="Paths inside `forbidden` that remain open (the kernel's own scratch).").tag(config=True)
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
        notebook_id = (resources or {}).get("nbgrader", {}).get("notebook", "notebook")
        self._report = report = {"stopped": None, "items": {}, "general": list(self.general_reasons),
                                 "events": [], "truncated": [], "sandbox": {}, "notes": []}
        REPORTS[notebook_id] = report
        self._prepare_run_dir()
        self._ran = set()
        start = time.monotonic()
        deadline = start + self.notebook_timeout
        per_cell = self.timeout if self.timeout and self.timeout > 0 else None

        def timeout_for(cell):
            left = deadline - time.monotonic()
            return max(1, int(min(per_cell, left) if per_cell else left))

        self.timeout_func = timeout_for
        guard = None
        try:
            with self.setup_kernel():
                info_msg = self.wait_for_reply(self.kc.kernel_info())
                if info_msg is None:
                    raise DeadKernelError("the kernel did not answer")
                self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                guard = tamper.GuardClient(self, self.forbidden, self.allowed)
                try:
                    guard.install()
                except tamper.GuardError as exc:  # the grader's problem, not the student's: say so, go on
                    report["notes"].append(f"the tamper guard could not start ({exc}); graded without it")
                    guard = None
                for index, cell in enumerate(self.nb.cells):
                    if cell.cell_type != "code":
                        continue
                    if report["stopped"] is None and time.monotonic() > deadline:
                        report["stopped"] = (f"the notebook ran past its time limit of {self.notebook_timeout} s; "
                                             "the kernel was stopped")
                    if report["stopped"] is not None:
                        self._not_run(cell, report["stopped"])
                        continue
                    self._run_cell(cell, index, resources, guard)
        except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError) as exc:
            if not self._ran:  # no student code ran yet: the grader failed, not the student (retried next run)
                raise
            if report["stopped"] is None:
                report["stopped"] = f"the kernel could not be started or stopped working ({exc})"
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type == "code" and index not in self._ran:
                    self._not_run(cell, report["stopped"])
        finally:
            report["sandbox"] = self._sandbox_notes()
            report["seconds"] = round(time.monotonic() - start, 3)
        self._apply_reasons()
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _run_cell(self, cell, index, resources, guard):
        report = self._report
        test = tamper.is_test(cell)
        watched = guard is not None and (test or tamper.is_instructor(cell))
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        label = gid or f"cell {index + 1}"
        names = tamper.used_names(cell.source) if test else ()
        found = []
        self._cell_bytes = 0
        self._interrupted = False
        try:
            if watched:
                found += self._guard(guard, names, before_locked=True)
            self._ran.add(index)
            self.preprocess_cell(cell, resources, index)
            self._note_errors(cell, index)
            if watched:
                found += self._guard(guard, names, after_locked=label)
        except (CellTimeoutError, DeadKernelError) as exc:
            report["stopped"] = self._why_stopped(exc)
            name = "CellTimeoutError" if isinstance(exc, CellTimeoutError) else "DeadKernelError"
            cell.outputs.insert(0, tamper.error_output(name, report["stopped"]))
        if test and found:
            reasons = report["items"].setdefault(gid, [])
            reasons += [words for words in dict.fromkeys(found) if words not in reasons]

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

    def _guard(self, guard, names, before_locked=False, after_locked=None):
        """Ask the guard; return the reasons a test run now would not count."""
        try:
            answer = guard.check(names, before_locked=before_locked, after_locked=after_locked)
        except tamper.GuardError as exc:
            return [str(exc)]
        except CellTimeoutError:  # nbclient's wording when a reply never came
            return ["the kernel did not answer the grader's check"]
        reasons = list(answer.get("problems", []))
        for kind, words in answer.get("events", []):
            if kind == "fatal" and words not in self._report["events"]:
                self._report["events"].append(words)
        return reasons

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

    def _apply_reasons(self):
        """Fail the tests that ran in a tampered kernel, or that were themselves tampered with."""
        report = self._report
        for gid, reasons in self.item_reasons.items():
            report["items"].setdefault(gid, [])
            report["items"][gid][:0] = [r for r in reasons if r not in report["items"][gid]]
        general = report["general"] + report["events"]
        for cell in self.nb.cells:
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
