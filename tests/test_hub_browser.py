"""The course on a real JupyterHub (`make hub`), end to end in a browser: one term of 00_warmup.

The test starts the hub the way docs/jupyterhub.md says (`make hub`, as root, on 127.0.0.1) with its own accounts
(prefix ``mcthubXXXX-``: an instructor, alice and bob), and removes them with `make hub-stop` at the end. Through the
hub's login page and the real JupyterLab and formgrader, driven by Debian's chromium:

* the instructor sets a due date in the formgrader, generates and releases 00_warmup;
* alice and bob fetch it from their Assignment List; alice submits a slip, then the right answer (Validate
  says success); the deadline passes (the instructor moves the due date in the formgrader to just after alice's
  last submission); bob validates (it fails, naming his mistake) and submits, late;
* the instructor collects (`nbgrader collect`) and grades (`autograder grade`) as their own account, grades the
  written answer by hand in the formgrader, regenerates the feedback (`autograder feedback`) and releases it
  from the formgrader; each student fetches their own feedback; grades.csv has both, bob with the late penalty.

Work on the notebooks is written to the students' files on disk (what a person types is covered by
tests/test_browser_student.py); Fetch, Validate, Submit and Fetch Feedback are clicked. Without root or
chromium the test skips, under CI (CI=true) it fails instead (tests/browser.py). SAVE_DOCS_SCREENSHOTS=1
copies its screenshots to docs/screenshots/hub-*.png.
"""
import csv
import datetime
import functools
import html
import json
import os
import pwd
import re
import runpy
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest

from browser import DOCS, FLAGS, _unavailable, chromium_path
from harness import REPO, solution_source

pytest_plugins = ["browser"]

WARMUP = "00_warmup"
HUB_BIN = REPO / "hub" / ".venv" / "bin"
SIN_SLIP = "def grad_f(x):\n    return x - np.cos(x)\n"          # alice's first submission
HALF_SLIP = "def grad_f(x):\n    return 2 * x + np.cos(x)\n"      # bob's (late) submission
GRAD_F_TEST = "test_grad_f"                                      # the item both slips fail
WAIT_MS = 180_000       # a hub spawning JupyterLab or running a notebook on a loaded 2-core machine; ends on the event


# --------------------------------------------------------------------------- the hub of `make hub`
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self):
        self.root = Path(f"/tmp/matcalc-hub-test-{secrets.token_hex(4)}")
        self.port = free_port()
        self.prefix = f"mcthub{secrets.token_hex(2)}-"     # recognisable, and unique per run (xdist workers)
        self.make_vars = [f"HUB_ROOT={self.root}", f"HUB_PREFIX={self.prefix}", "HUB_STUDENTS=alice,bob",
                          f"HUB_PORT={self.port}"]

    def make(self, target):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
        env["PYTHON"] = sys.executable
        proc = subprocess.run(["make", target, *self.make_vars], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=1800)
        assert proc.returncode == 0, f"make {target} exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        return proc.stdout

    def start(self):
        self.output = self.make("hub")
        self.settings = json.loads((self.root / "settings.json").read_text())
        self.passwords = json.loads((self.root / "accounts.json").read_text())

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def user(self, name):
        return name if name.startswith(self.prefix) else self.prefix + name

    def home(self, name):
        return Path(pwd.getpwnam(self.user(name)).pw_dir)

    @property
    def course(self):
        return Path(self.settings["course"])

    def run_as(self, name, *cmd, cwd=None):
        """A command as that account (runuser), in the hub's course environment, e.g. the instructor's nbgrader."""
        user = self.user(name)
        env = {"PATH": f"{HUB_BIN}:/usr/bin:/bin", "HOME": str(self.home(name)), "LANG": "C.UTF-8", "USER": user}
        proc = subprocess.run([shutil.which("runuser"), "-u", user, "--", *cmd], cwd=cwd or self.home(name), env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{' '.join(cmd)} as {user} exited {proc.returncode}:\n" \
                                     f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        return proc.stdout + proc.stderr

    def log_tail(self):
        path = self.root / "jupyterhub.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no hub log)"


@pytest.fixture(scope="module")
def hub(chromium):
    if os.geteuid() != 0:
        _unavailable("the course hub creates Unix accounts: run the hub test as root")
    for tool in ("make", "runuser", "useradd"):
        if not shutil.which(tool):
            _unavailable(f"{tool} is missing")
    hub = Hub()
    try:
        hub.start()
        yield hub
    finally:
        hub.make("hub-stop")


# --------------------------------------------------------------------------- people in the browser
MATHJAX_CDN = re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/2\.7\.7/([^?]+)")


@functools.lru_cache(maxsize=None)
def mathjax_static():
    found = subprocess.run([str(HUB_BIN / "python"), "-c", "import jupyter_server_mathjax as m; print(m.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    return Path(found).parent / "static"


def mathjax(route):
    """nbgrader's grading page loads MathJax 2 from a CDN (hard-coded); without it its script stops with
    "MathJax is not defined" and no score is saved (seen here). The test
    talks only to this machine, so it answers those requests with MathJax 2 from the jupyter-server-mathjax
    package (installed from hub/requirements.txt). Every other request off this machine is refused."""
    match = MATHJAX_CDN.match(route.request.url)
    static = mathjax_static()
    path = static / ("MathJax.js" if match and match.group(1) == "latest.js" else match.group(1) if match else "")
    if match and path.is_file() and static in path.resolve().parents:
        route.fulfill(path=str(path))
    else:
        route.abort()


class Person:
    """One person's browser session on the hub."""

    def __init__(self, hub, chromium, name, shots):
        self.hub, self.name, self.user, self.shots = hub, name, hub.user(name), shots
        self.context = chromium.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
        # Only this machine: a page's request elsewhere fails at once, except nbgrader's MathJax 2 (see mathjax()).
        self.context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*"), mathjax)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.console = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def log_in(self, next_path=None):
        """The hub's login page, with the account's password (PAM); by default on to the person's JupyterLab."""
        self.page.goto(f"{self.hub.url}/hub/login" + (f"?next={next_path}" if next_path else ""))
        self.page.fill("#username_input", self.user)
        self.page.fill("#password_input", self.hub.passwords[self.user])
        self.page.click("#login_submit")
        if next_path is None:
            self.page.wait_for_url(re.compile(rf"/user/{re.escape(self.user)}/lab"))
            self.page.wait_for_selector(".jp-DirListing-content")

    def shot(self, name, locator=None):
        (locator or self.page).screenshot(path=str(self.shots / f"hub-{name}.png"))

    def close(self):
        self.context.close()


class Student(Person):
    @property
    def notebook(self):
        # Exchange.path_includes_course: fetched into COURSE/ASSIGNMENT of the home folder (the server's root)
        return self.hub.home(self.name) / "matcalc" / WARMUP / f"{WARMUP}.ipynb"

    def open_assignment_list(self):
        """Nbgrader > Assignment List; returns the labels the Nbgrader menu showed."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).click()
        labels = self.page.locator(".lm-Menu-content .lm-Menu-itemLabel")
        labels.first.wait_for()
        shown = [t.strip() for t in labels.all_text_contents() if t.strip()]
        labels.filter(has_text=re.compile(r"^Assignment List$")).click()
        self.page.wait_for_selector("#released_assignments_list_loading", state="hidden")
        return shown

    def row(self, section):
        return self.page.locator(f"#{section}_assignments_list > .list_item", has_text=WARMUP)

    def fetch(self):
        self.row("released").locator("button", has_text="Fetch").click()
        self.row("fetched").wait_for()
        assert self.notebook.exists(), f"Fetch did not bring {self.notebook}"

    def work(self, grad_f=None, written="YOUR ANSWER HERE"):
        """Fill the fetched notebook as the student would (right answers, except grad_f if given), on disk."""
        source = nbformat.read(self.hub.course / "solutions" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
        right = {c.metadata["nbgrader"]["grade_id"]: solution_source(c.source)
                 for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
        nb = nbformat.read(self.notebook, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                cell.source = grad_f if grad_f and meta["grade_id"] == "grad_f" else right[meta["grade_id"]]
            elif meta.get("grade_id") == written_item(self.hub.course)[0]:
                cell.source = written
        nbformat.write(nb, self.notebook)
        account = pwd.getpwnam(self.user)
        os.chown(self.notebook, account.pw_uid, account.pw_gid)

    def validate(self):
        """Validate from the Assignment List; returns (passed, the text of nbgrader's Validation Results)."""
        row = self.row("fetched")
        if not row.locator(".assignment-notebooks-link").get_attribute("aria-expanded") == "true":
            row.locator(".assignment-notebooks-link").click()
        button = row.locator("button", has_text="Validate")
        button.click()
        box = self.page.locator(".jp-Dialog", has=self.page.locator(".jp-Dialog-header", has_text="Validation Results"))
        message = box.locator("#validation-message")
        message.wait_for()
        text = message.text_content()
        passed = "validation-success" in message.get_attribute("class")
        return passed, text, box

    def close_dialog(self, box):
        box.locator(".jp-Dialog-footer button").last.click()
        box.wait_for(state="detached")

    def submit(self):
        """Submit; returns the timestamps listed under Submitted assignments once the new one is there."""
        before = self.submitted_timestamps()
        self.row("fetched").locator("button", has_text="Submit").click()
        self.page.wait_for_function(
            """([n]) => document.querySelectorAll('#submitted_assignments_list .nested_list_item').length > n""",
            arg=[len(before)])
        return self.submitted_timestamps()

    def submitted_timestamps(self):
        items = self.page.locator("#submitted_assignments_list .nested_list_item .item_name")
        return sorted(re.match(r"\S+ \S+", t.strip()).group(0) for t in items.all_text_contents())

    def fetch_feedback(self):
        self.row("submitted").locator("button", has_text="Fetch Feedback").click()
        self.page.locator("#submitted_assignments_list .nested_list_item", has_text="(view feedback)").wait_for()

    def fetched_feedback(self):
        """{submission timestamp: feedback text} in the student's folder after Fetch Feedback."""
        root = self.notebook.parent / "feedback"
        return {d.name: html.unescape((d / f"{WARMUP}.html").read_text(encoding="utf-8"))
                for d in sorted(root.iterdir())} if root.is_dir() else {}


class Instructor(Person):
    @property
    def formgrader(self):
        return f"{self.hub.url}/services/matcalc/formgrader"

    def manage_assignments(self):
        if "manage_assignments" not in self.page.url:
            self.page.goto(f"{self.formgrader}/manage_assignments")
        row = self.page.locator("tbody#main-table > tr", has=self.page.locator("td.name", has_text=WARMUP))
        row.wait_for()
        return row

    def set_due_date(self, when, shot=None):
        """The formgrader's Edit dialog: due date (to the second, UTC)."""
        row = self.manage_assignments()
        row.locator(".glyphicon-pencil").click()
        modal = self.page.locator(".modal", has=self.page.locator("input.modal-duedate"))
        modal.locator("input.modal-duedate").fill(when.strftime("%Y-%m-%dT%H:%M:%S"))
        modal.locator("input.modal-timezone").fill("+0000")
        if shot:
            self.shot(shot, modal.locator(".modal-dialog"))
        modal.locator("button.save").click()
        modal.wait_for(state="detached")
        row.locator("td.duedate", has_text=when.strftime("%Y-%m-%d %H:%M:%S")).wait_for()

    def row_action(self, glyph, done_message):
        """Click an action of 00_warmup's row and close nbgrader's "Success" dialog (fail on its "Error")."""
        row = self.manage_assignments()
        row.locator(f".glyphicon-{glyph}").click()
        modal = self.page.locator("#success-modal, #error-modal")
        modal.wait_for()
        text = modal.text_content()
        assert modal.get_attribute("id") == "success-modal" and done_message in text, text
        modal.locator(".modal-footer button").click()
        modal.wait_for(state="detached")

    def grade_written_answer(self, submission_id, points, shot=None):
        self.page.goto(f"{self.formgrader}/submissions/{submission_id}")
        score = self.page.locator(f"input.score#{written_item(self.hub.course)[0]}")
        # the page's own signal that it has bound the score fields to the gradebook
        self.page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded")
        with self.page.expect_response(lambda r: "/api/grade/" in r.url and r.request.method == "PUT"
                                       and r.ok):
            score.fill(str(points))
            score.press("Tab")          # nbgrader saves a score when the field changes
        if shot:
            self.shot(shot, score.locator("xpath=ancestor::div[contains(@class, 'nbgrader_cell')]"))


# --------------------------------------------------------------------------- the term
def written_item(course):
    """(grade id, points) of the assignment's written answer graded by hand (from the course's own notebook)."""
    source = nbformat.read(course / "solutions" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
    (item,) = [(c.metadata.nbgrader["grade_id"], c.metadata.nbgrader["points"]) for c in source.cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]
    return item


def late_fraction_per_day(course):
    """The late-submission policy of the course's nbgrader_config.py (a fraction of the score per started day)."""
    class Config(dict):
        def __getattr__(self, name):
            return self.setdefault(name, Config())

    config = Config()
    runpy.run_path(str(course / "nbgrader_config.py"), init_globals={"get_config": lambda: config})
    assert config.AssignLatePenalties.plugin_class == "autograder.late.DailyLatePenalty"
    return config.DailyLatePenalty.fraction_per_day


def utc(ts):
    return datetime.datetime.strptime(ts.replace(" UTC", ""), "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc)


def inbound_timestamps(hub, name):
    inbound = Path(hub.settings["exchange"]) / "matcalc" / "inbound"
    return sorted((d / "timestamp.txt").read_text().strip() for d in inbound.glob(f"{hub.user(name)}+{WARMUP}+*"))


@pytest.fixture
def shots(tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    return folder


def test_a_term_on_the_hub_then_hub_stop_removes_it(hub, chromium, shots):
    people = []
    try:
        run_term(hub, chromium, shots, people)
    except BaseException:
        for person in people:
            try:
                person.page.screenshot(path=str(shots / f"failure-{person.name}.png"), full_page=True)
            except Exception:   # the page may be gone; the failure itself is what matters
                pass
        for person in people:
            print(f"browser console of {person.name}:\n  " + "\n  ".join(person.console[-30:]))
        print(f"screenshots of the failure: {shots}\nhub log (end):\n{hub.log_tail()}")
        raise
    finally:
        for person in people:
            person.close()
    if os.environ.get("SAVE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        for png in sorted(shots.glob("hub-*.png")):
            shutil.copy(png, DOCS / png.name)
    stop_and_check_everything_is_removed(hub)


def run_term(hub, chromium, shots, people):
    assert f"{hub.url}/" in hub.output and hub.user("instructor") in hub.output and hub.user("bob") in hub.output

    # The instructor: due date a week ahead, generate and release, all in the formgrader (the hub's service).
    teacher = Instructor(hub, chromium, "instructor", shots)
    people.append(teacher)
    teacher.log_in(next_path="/services/matcalc/formgrader/manage_assignments")
    teacher.set_due_date(datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
                         + datetime.timedelta(days=7), shot="formgrader-due-date")
    teacher.row_action("education", "Successfully created the student version")
    teacher.row_action("cloud-upload", "Successfully released")
    teacher.manage_assignments().locator("td.status", has_text="released").wait_for()
    teacher.shot("formgrader-released")

    # alice: fetch, a slip, submit; the right answer, Validate (success), submit again -- all before the due date.
    alice = Student(hub, chromium, "alice", shots)
    people.append(alice)
    alice.log_in()
    # Her server has no instructor tools: no formgrader server extension, no Formgrader / Course List menu items.
    assert alice.page.request.get(f"{hub.url}/user/{alice.user}/formgrader").status == 404
    assert alice.open_assignment_list() == ["Assignment List"]
    alice.fetch()
    alice.shot("student-fetched")
    alice.work(grad_f=SIN_SLIP, written="Rounding: f(x+h) and f(x-h) agree in almost all digits.")
    first = alice.submit()
    alice.work(written="With h = 1e-12 the two values f(x ± h) agree in almost every digit, so rounding "
                       "errors of about 1e-16 / 1e-12 dominate their difference quotient.")
    passed, text, box = alice.validate()
    assert passed and "Success! Your notebook passes all the tests." in text, text
    alice.shot("student-validate-success", box.locator(".jp-Dialog-content"))
    alice.close_dialog(box)
    second = alice.submit()
    assert len(first) == 1 and len(second) == 2, (first, second)
    alice.shot("student-submitted")
    alice_times = inbound_timestamps(hub, "alice")
    assert len(alice_times) == 2

    # The deadline passes: the instructor moves the due date to just after alice's last submission.
    deadline = (utc(alice_times[-1]) + datetime.timedelta(seconds=1)).replace(microsecond=0)
    teacher.set_due_date(deadline)

    # bob: fetch, a mistake; Validate names it; he submits anyway, late.
    bob = Student(hub, chromium, "bob", shots)
    people.append(bob)
    bob.log_in()
    bob.open_assignment_list()
    bob.fetch()
    bob.work(grad_f=HALF_SLIP, written="The step is too small.")
    passed, text, box = bob.validate()
    assert not passed and "grad_f" in text and "dy_dx" not in text, text    # his one failing item, named
    box.locator(".jp-Dialog-body").evaluate("body => body.scrollTop = body.scrollHeight")     # the diagnosis
    bob.shot("student-validate-failed", box.locator(".jp-Dialog-content"))
    bob.close_dialog(box)
    assert len(bob.submit()) == 1
    (bob_time,) = inbound_timestamps(hub, "bob")
    assert utc(alice_times[-1]) < deadline < utc(bob_time)

    # The instructor collects and grades as their own account, in the course folder.
    instructor = hub.user("instructor")
    hub.run_as(instructor, "nbgrader", "collect", WARMUP, cwd=hub.course)
    hub.run_as(instructor, "autograder", "grade", WARMUP, "--quiet", cwd=hub.course)
    from nbgrader.api import Gradebook
    gradebook = f"sqlite:///{hub.course / 'gradebook.db'}"
    students = {"alice": alice, "bob": bob}
    with Gradebook(gradebook) as gb:
        ids = {name: gb.find_submission_notebook(WARMUP, WARMUP, hub.user(name)).id for name in students}

    # ... grades the written answers by hand in the formgrader (alice full marks, bob half) ...
    written_id, written_max = written_item(hub.course)
    hand = {"alice": float(written_max), "bob": written_max / 2}
    for name, points in hand.items():
        teacher.grade_written_answer(ids[name], points, shot=f"formgrader-manual-grading-{name}")
    # ... writes the feedback again with the hand grades (hidden tests removed), exports grades.csv, and
    # releases the feedback from the formgrader.
    hub.run_as(instructor, "autograder", "feedback", WARMUP, cwd=hub.course)
    hub.run_as(instructor, "nbgrader", "export", cwd=hub.course)
    teacher.row_action("envelope", "Successfully released feedback")

    # Each student fetches their own feedback -- the instructor's page for them -- for the graded submission.
    for student in students.values():
        student.open_assignment_list()
        student.fetch_feedback()
    alice.shot("student-feedback")
    fetched = {name: student.fetched_feedback() for name, student in students.items()}
    assert list(fetched["alice"]) == [alice_times[-1]], list(fetched["alice"])
    assert list(fetched["bob"]) == [bob_time], list(fetched["bob"])
    made = {name: html.unescape((hub.course / "feedback" / hub.user(name) / WARMUP / f"{WARMUP}.html")
                                .read_text(encoding="utf-8")) for name in students}
    assert made["alice"] != made["bob"]
    for name in students:
        (text,) = fetched[name].values()
        assert text == made[name], f"{name} fetched feedback that is not the page made for them"

    # grades.csv: both students; the hand grades counted; bob's late penalty (a fraction of his auto-graded
    # score per started day: one day), alice none.
    with Gradebook(gradebook) as gb:
        book = {name: gb.find_submission_notebook(WARMUP, WARMUP, hub.user(name)) for name in students}
        penalty = {name: gb.find_submission(WARMUP, hub.user(name)).late_submission_penalty for name in students}
        written = {name: gb.find_grade(written_id, WARMUP, WARMUP, hub.user(name)).score for name in students}
        grad_f = {name: gb.find_grade(GRAD_F_TEST, WARMUP, WARMUP, hub.user(name)) for name in students}
        auto = {name: book[name].code_score for name in students}
        auto_max = book["alice"].max_code_score
        grad_f_max = grad_f["bob"].max_score
        grad_f_scores = {name: grad_f[name].score for name in students}
    assert written == hand
    assert auto["alice"] == auto_max and penalty["alice"] == 0
    assert grad_f_scores["bob"] == 0 and auto["bob"] == auto_max - grad_f_max    # one mistake costs one item
    assert penalty["bob"] == pytest.approx(late_fraction_per_day(hub.course) * auto["bob"])
    assert penalty["bob"] > 0
    with open(hub.course / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh) if row["assignment"] == WARMUP}
    assert set(rows) == {hub.user("alice"), hub.user("bob")}
    a, b = rows[hub.user("alice")], rows[hub.user("bob")]
    assert float(a["raw_score"]) == float(a["score"]) == auto_max + hand["alice"]
    assert float(a["late_submission_penalty"]) == 0
    assert float(b["raw_score"]) == pytest.approx(auto["bob"] + hand["bob"])
    assert float(b["late_submission_penalty"]) == pytest.approx(penalty["bob"])
    assert float(b["score"]) == pytest.approx(auto["bob"] + hand["bob"] - penalty["bob"])


def stop_and_check_everything_is_removed(hub):
    """`make hub-stop` removes what `make hub` created (the fixture runs it again: it is idempotent)."""
    created = [hub.settings["instructor"], *hub.settings["students"]]
    homes = [hub.home(name) for name in created]
    hub.make("hub-stop")
    for name in created:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
    assert not any(home.exists() for home in homes)
    assert not hub.root.exists()
    with pytest.raises(OSError):        # nothing listens on the hub's port any more
        urllib.request.urlopen(f"{hub.url}/hub/api", timeout=10)
