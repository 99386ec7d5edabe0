"""Shared fixtures for the browser tests: the real JupyterLab of `make lab`, driven by Debian's chromium.

Use it from a test module with ``pytest_plugins = ["browser"]`` and the fixtures

* ``lab``    the server: ``make lab`` run in a temporary copy of the course (free loopback port, a token,
             its own HOME and Jupyter config folder), once per test session;
* ``jlab``   a fresh browser page on that server wrapped in :class:`JupyterLabPage` (helpers that act as a
             person does: the file browser, the menus, the toolbar, cell editors). On failure it saves a
             screenshot under the test's pytest temporary folder; with ``SAVE_DOCS_SCREENSHOTS=1`` the
             screenshots a passing test takes with ``jlab.shot(name)`` are copied to ``docs/screenshots/``.

The browser is ``/usr/bin/chromium`` (or ``$CHROMIUM``) through the Python ``playwright`` package; no browser
is ever downloaded. Without one the tests skip with the reason, except under CI (``CI=true``), where
``.ci/run`` installs Debian's chromium, so a missing browser is an error there rather than a silent skip.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from harness import REPO, env

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
DOCS = REPO / "docs" / "screenshots"
# Top-level entries of the repository that a course copy leaves out (environments, caches, runtime folders).
NOT_COPIED = (".git", ".venv", ".ci", "tests", "benchmarks", "docs", "submitted", "autograded", "feedback",
              "gradebook.db", "grades.csv", "reports", "bench_results", "nbgrader_exchange")
TIMEOUT_MS = 90_000     # generous for a loaded 2-core machine; waits end as soon as the condition holds


# --------------------------------------------------------------------------- browser availability
def chromium_path():
    """$CHROMIUM if set (and only it), else Debian's chromium."""
    if os.environ.get("CHROMIUM"):
        candidates = [os.environ["CHROMIUM"]]
    else:
        candidates = [shutil.which("chromium"), "/usr/bin/chromium"]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _unavailable(reason):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run: {reason} (CI installs Debian's chromium and the test "
                    "requirements, so the browser tests must run there)", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def chromium():
    """A headless chromium, launched once per session through Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is missing: pip install 'playwright>=1.45,<2' "
                     "(never `playwright install`: the tests use Debian's chromium)")
    exe = chromium_path()
    if exe is None:
        _unavailable("no chromium found (apt-get install chromium chromium-driver, "
                     "or set CHROMIUM=/path/to/chromium)")
    with sync_playwright() as pw:
        # Playwright adds --headless and a fresh temporary --user-data-dir of its own.
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=FLAGS)
        yield browser
        browser.close()


# --------------------------------------------------------------------------- the server of `make lab`
def copy_course(dest):
    """A copy of the course as a student or instructor has it: notebooks, packages, config, Makefile."""
    shutil.copytree(REPO, dest, ignore=lambda folder, names: (
        [n for n in names if n in NOT_COPIED or n.endswith(".egg-info")] if Path(folder) == REPO
        else [n for n in names if n in ("__pycache__", ".ipynb_checkpoints")]))
    return Path(dest)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``make lab`` in a course folder, with the server options passed through the Makefile's LAB_ARGS."""

    def __init__(self, root, home):
        self.root, self.home = Path(root), Path(home)
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.log_path = self.home / "jupyter-lab.log"
        self.runtime = self.home / ".local" / "share" / "jupyter" / "runtime"
        self.proc = None

    def environment(self):
        e = env()
        for var in list(e):
            if var.startswith("JUPYTER") or var in ("IPYTHONDIR", "MPLBACKEND"):
                del e[var]
        e["HOME"] = str(self.home)
        e["JUPYTER_CONFIG_DIR"] = str(self.home / ".jupyter")
        return e

    def start(self):
        self.home.mkdir(parents=True, exist_ok=True)
        # A first start: no user settings (the course's lab/overrides.json answers JupyterLab's news question).
        (self.home / ".jupyter").mkdir(parents=True)
        # An instructor's setup on a shared machine: nbgrader's exchange folder in the user's own config.
        exchange = self.home / "exchange"
        exchange.mkdir()
        exchange.chmod(0o777)
        (self.home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()  # noqa: F821\nc.Exchange.root = r'{exchange}'\n")
        lab_args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={self.port} "
                    f"--ServerApp.port_retries=0 --IdentityProvider.token={self.token}")
        # `-o install`: the running test environment is the course's environment; never reinstall it from a copy.
        cmd = [shutil.which("make") or "make", "-o", "install", "lab", f"VENV={sys.prefix}", f"LAB_ARGS={lab_args}"]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.environment(), stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"`make lab` exited {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            if self.info() and self._status_ok():
                return self
            time.sleep(0.25)     # polling the server's own readiness signal, not waiting blindly
        raise RuntimeError(f"JupyterLab did not answer within 120 s:\n{self.log_text()[-4000:]}")

    def info(self):
        """The server's own description of itself (jpserver-PID.json in its runtime folder), or None."""
        files = sorted(self.runtime.glob("jpserver-[0-9]*.json"))
        return json.loads(files[0].read_text()) if files else None

    def opened_url(self):
        """The address `make lab` would open in the student's browser (from its browser-open file)."""
        files = sorted(self.runtime.glob("jpserver-file-to-run-*-open.html")) or sorted(
            self.runtime.glob("jpserver-[0-9]*-open.html"))
        match = re.search(r'url=([^"]+)"', files[0].read_text()) if files else None
        return match.group(1) if match else None

    def _status_ok(self):
        try:
            with urllib.request.urlopen(self.api_request("api/status"), timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path="lab"):
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"

    def api_request(self, path, method="GET"):
        return urllib.request.Request(self.base + path, method=method,
                                      headers={"Authorization": f"token {self.token}"})

    def api(self, path, method="GET"):
        with urllib.request.urlopen(self.api_request(path, method), timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self):
        """Close every notebook session (a fresh start for the next test, as after a server restart)."""
        for session in self.api("api/sessions"):
            self.api(f"api/sessions/{session['id']}", method="DELETE")

    def log_text(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)       # make and the jupyter server it started
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc:
            self.log.close()


@pytest.fixture(scope="session")
def lab(chromium, tmp_path_factory):
    """The JupyterLab server that `make lab` starts, in a temporary copy of the course."""
    base = tmp_path_factory.mktemp("lab")
    server = LabServer(copy_course(base / "course"), base / "home")
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- a page acting as a person
class JupyterLabPage:
    def __init__(self, page, lab, shots):
        self.page, self.lab, self.shots = page, lab, shots
        self.console = []
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        page.set_default_timeout(TIMEOUT_MS)

    # -- navigation
    def open_lab(self, url=None):
        """Open JupyterLab with a fresh workspace (no tabs restored from an earlier test)."""
        self.page.goto(url or self.lab.url("lab?reset"))
        self.page.wait_for_selector("#jp-main-dock-panel")
        self.page.wait_for_selector(".jp-DirListing-content")

    def open_in_file_browser(self, path):
        """Double-click through the file browser from the root folder down to the file, like a student."""
        self.page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").first.click()
        for name in Path(path).parts:
            item = self.page.locator(".jp-FileBrowser .jp-DirListing-item").filter(
                has=self.page.locator(".jp-DirListing-itemText", has_text=re.compile(rf"^{re.escape(name)}$")))
            item.first.dblclick()
        self.wait_notebook_ready(Path(path).name)

    @property
    def notebook(self):
        """The notebook panel in the current main-area tab."""
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first

    def wait_notebook_ready(self, name):
        self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current",
                          has_text=name).wait_for()
        self.wait_kernel_idle()

    def wait_kernel_idle(self):
        self.page.wait_for_function(
            """() => {
                const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                const ind = nb && nb.querySelector('.jp-Notebook-ExecutionIndicator');
                // the indicator says "idle" even before a kernel exists: the status bar must name the kernel
                const bar = [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent);
                return ind && ind.dataset.status === 'idle'
                       && bar.some(t => / \\| Idle$/.test(t) && !t.startsWith('No Kernel'));
            }""", timeout=TIMEOUT_MS)

    def menu(self, top, item):
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(top)}$")).first.click()
        entry = self.page.locator(".lm-Menu-content > .lm-Menu-item").filter(
            has=self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")))
        entry.first.click()

    def menu_items(self, top):
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(top)}$")).first.click()
        labels = self.page.locator(".lm-Menu-content > .lm-Menu-item .lm-Menu-itemLabel")
        labels.first.wait_for()
        texts = [t.strip() for t in labels.all_text_contents()]
        self.page.keyboard.press("Escape")
        return texts

    # -- cells
    def code_cell(self, contains):
        """The code cell of the current notebook whose source contains ``contains``."""
        cell = self.notebook.locator(".jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=contains))
        cell.first.wait_for(state="attached")
        assert cell.count() == 1, f"expected one code cell containing {contains!r}, found {cell.count()}"
        return cell.first

    def set_source(self, contains, source):
        """Click into a cell's editor, select everything in it and type (insert) the new source."""
        editor = self.code_cell(contains).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.insert_text(source)
        self.page.keyboard.press("Escape")                 # back to command mode
        first_line = source.splitlines()[0]
        assert first_line in editor.text_content()

    def set_markdown(self, contains, text):
        """Double-click a rendered markdown cell to edit it, replace its text, and render it (Ctrl+Enter)."""
        cells = self.notebook.locator(".jp-Cell")
        found = cells.evaluate_all(
            """(cells, text) => cells.flatMap((c, i) => c.classList.contains('jp-MarkdownCell')
                 && (c.querySelector('.jp-RenderedMarkdown')?.textContent || '').includes(text) ? [i] : [])""",
            contains)
        assert len(found) == 1, f"expected one markdown cell showing {contains!r}, found {len(found)}"
        cell = cells.nth(found[0])      # by position: its rendered text goes away while it is edited
        cell.locator(".jp-RenderedMarkdown").dblclick()
        editor = cell.locator(".cm-content")
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("ControlOrMeta+Enter")
        cell.locator(".jp-RenderedMarkdown", has_text=text.split()[0]).wait_for()

    def prompts(self):
        return self.notebook.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()

    def run_all(self):
        """Run > Run All Cells, then wait until the kernel is idle and no cell is queued or running."""
        before = self.prompts()
        self.menu("Run", "Run All Cells")
        self.page.wait_for_function(
            """(before) => {
                const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                const ind = nb.querySelector('.jp-Notebook-ExecutionIndicator');
                const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
                const bar = [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent);
                return ind.dataset.status === 'idle' && bar.some(t => / \\| Idle$/.test(t))
                       && !prompts.some(p => p.includes('*'))
                       && prompts[0] !== before[0] && /\\[\\d+\\]/.test(prompts[0]);
            }""", arg=before, timeout=TIMEOUT_MS)

    def output_text(self, contains):
        """The text shown in the output area of the code cell containing ``contains``."""
        return self.code_cell(contains).locator(".jp-OutputArea").text_content()

    def error_outputs(self):
        """Texts of the error (traceback) outputs shown in the current notebook."""
        return self.notebook.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_text_contents()

    # -- dialogs and evidence
    def dialog(self, title):
        box = self.page.locator(".jp-Dialog").filter(
            has=self.page.locator(".jp-Dialog-header", has_text=title))
        box.first.wait_for()
        return box.first

    def close_dialog(self, box):
        box.locator(".jp-Dialog-footer button").last.click()
        box.wait_for(state="detached")

    def shot(self, name, locator=None):
        """A screenshot for the documentation (taken only when SAVE_DOCS_SCREENSHOTS=1)."""
        if os.environ.get("SAVE_DOCS_SCREENSHOTS") == "1":
            path = self.shots / f"{name}.png"
            (locator or self.page).screenshot(path=str(path))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def jlab(chromium, lab, request, tmp_path):
    """A fresh browser page on the course's JupyterLab; a screenshot on failure; docs shots on success."""
    lab.shut_down_kernels()
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
    shots = tmp_path / "docs-shots"
    shots.mkdir()
    page = JupyterLabPage(context.new_page(), lab, shots)
    yield page
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        path = tmp_path / "failure.png"
        try:
            page.page.screenshot(path=str(path), full_page=True)
            print(f"screenshot of the failure: {path}")
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            print(f"no screenshot of the failure: {exc}")
        print("browser console:\n" + "\n".join(f"  {kind}: {text}" for kind, text in page.console))
        print("server log (end):\n" + lab.log_text()[-3000:])
    elif call is not None and call.passed and os.environ.get("SAVE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        for png in sorted(shots.glob("*.png")):
            shutil.copy(png, DOCS / png.name)
    context.close()
