"""An instructor's everyday slips and a student's feedback page, with the real commands.

One course, one folder of uploads (alice right, bob with a factor-2 slip, dave an empty file), graded twice
with `autograder grade --submissions`: no nbgrader log noise, nothing rewritten by the second run, clear
messages for `report` and `feedback` slips, `--course` before or after the command, and feedback pages that
show no instructor path and render their mathematics with no network at all.
"""
import os
import re
import subprocess
import sys

import nbformat
import pytest
from harness import BIN, REPO, Course, env, run

from submissions import corpus

pytest_plugins = ["browser"]

WARMUP = corpus.WARMUP


def autograder(*args, cwd, check=False):
    return run([BIN / "autograder", *map(str, args)], cwd=cwd, check=check, timeout=600)


def said(proc):
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("everyday")
    course = Course.copy(base, [WARMUP])
    uploads = base / "uploads"
    uploads.mkdir()
    nbformat.write(corpus.good(course), uploads / "alice.ipynb")
    nbformat.write(corpus.good(course, grad_f=corpus.WRONG_GRAD), uploads / "bob.ipynb")
    (uploads / "dave.ipynb").write_bytes(b"")
    first = autograder("grade", WARMUP, "--submissions", uploads, "--quiet", cwd=course.root, check=True)
    submitted = sorted((course.root / "submitted").rglob("*"))
    stamps = {p: p.stat().st_mtime_ns for p in submitted if p.is_file()}
    second = autograder("grade", WARMUP, "--submissions", uploads, "--quiet", cwd=course.root, check=True)
    return {"course": course, "uploads": uploads, "first": first, "second": second, "stamps": stamps}


# -- grading uploads ---------------------------------------------------------------------------------

def test_grading_uploads_shows_no_nbgrader_log_lines(graded):
    out = said(graded["first"])
    assert "collected 3 upload(s)" in out, out[:2000]
    assert "ZipCollectApp" not in out and "Directory not found" not in out, out[:2000]


def test_a_second_run_over_the_same_uploads_rewrites_nothing(graded):
    out = said(graded["second"])
    assert "Clearing existing files" not in out and "ZipCollectApp" not in out, out[:2000]
    assert "unchanged since the last collection" in out
    assert {p: p.stat().st_mtime_ns for p in graded["stamps"]} == graded["stamps"]


def test_a_changed_upload_is_collected_again(graded, tmp_path):
    course, uploads = graded["course"], graded["uploads"]
    nbformat.write(corpus.good(course, grad_f=corpus.ZEROS_GRAD), uploads / "alice.ipynb")
    try:
        proc = autograder("grade", WARMUP, "--submissions", uploads, "--quiet", "--no-report", "--no-feedback",
                          cwd=course.root, check=True)
        assert "collected 1 upload(s)" in proc.stdout and "2 other(s) unchanged" in proc.stdout, proc.stdout
        assert course.scores(WARMUP)["alice"]["test_grad_f"] == 0
    finally:  # the other tests see alice's first upload again
        nbformat.write(corpus.good(course), uploads / "alice.ipynb")
        autograder("grade", WARMUP, "--submissions", uploads, "--quiet", "--no-report", cwd=course.root, check=True)


# -- slips on the command line -----------------------------------------------------------------------

def test_report_of_a_misspelt_assignment_names_the_closest_one(graded, tmp_path):
    proc = autograder("report", "00_wramup", cwd=graded["course"].root)
    assert proc.returncode == 1, said(proc)
    assert "no assignment '00_wramup'; did you mean 00_warmup?" in proc.stderr
    assert "Traceback" not in said(proc)


def test_report_of_an_assignment_not_graded_yet_says_what_to_run(graded, tmp_path):
    root = graded["course"].root
    (root / "solutions" / "01_derivative").symlink_to(REPO / "solutions" / "01_derivative")
    try:
        proc = autograder("report", "01_derivative", cwd=root)
    finally:
        (root / "solutions" / "01_derivative").unlink()
    assert proc.returncode == 1, said(proc)
    assert "01_derivative has not been graded yet: run `autograder grade 01_derivative` first" in proc.stderr
    assert "Traceback" not in said(proc)


def test_course_option_before_or_after_the_command(graded, tmp_path):
    root = graded["course"].root
    for args in (["--course", root, "report", WARMUP], ["report", WARMUP, "--course", root]):
        proc = autograder(*args, cwd=tmp_path)
        assert proc.returncode == 0, said(proc)
        assert (root / "reports" / WARMUP / "report.html").exists()
        assert "factor ×2" in proc.stdout   # bob's diagnosis, read from this course's gradebook


def test_outside_a_course_the_message_names_the_course_option(tmp_path):
    proc = autograder("report", WARMUP, cwd=tmp_path)
    assert proc.returncode == 1 and "--course DIR" in proc.stderr and "Traceback" not in said(proc)


def test_help_does_not_import_nbgrader():
    code = ("import sys\nsys.modules['nbgrader'] = None  # any import of nbgrader now fails\n"
            "from autograder.cli import main\n"
            "for argv in (['--help'], ['grade', '--help'], ['report', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit as exc:\n        assert exc.code == 0, argv\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--course DIR" in proc.stdout and "usage: autograder grade" in proc.stdout


def test_feedback_names_who_was_skipped(graded):
    root = graded["course"].root
    proc = autograder("feedback", WARMUP, cwd=root)
    assert proc.returncode == 0, said(proc)
    assert "feedback for 2 students" in proc.stdout and "skipped dave: not gradable" in proc.stdout
    proc = autograder("feedback", WARMUP, "alice", "zed", cwd=root)
    assert proc.returncode == 2 and "feedback for 1 student:" in proc.stdout
    assert "skipped zed: no autograded submission" in proc.stdout


# -- the feedback page -------------------------------------------------------------------------------

def page(graded, student):
    return graded["course"].root / "feedback" / student / WARMUP / f"{WARMUP}.html"


def test_feedback_shows_no_path_of_the_instructors_machine(graded):
    text = page(graded, "bob").read_text(encoding="utf-8")
    assert "[factor ×2]" in text   # the failed check is shown
    for path in {str(REPO), str(graded["course"].root), sys.prefix, os.path.expanduser("~")}:
        assert path + "/" not in text, path


def test_feedback_loads_no_script_or_style_from_the_network(graded):
    for student in ("alice", "bob"):
        text = page(graded, student).read_text(encoding="utf-8")
        assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=[\"']?(https?:)?//", text, re.I), student


def test_feedback_renders_its_mathematics_offline_and_wraps_long_lines(graded, chromium):
    attempts = []
    context = chromium.new_context(viewport={"width": 900, "height": 900})
    try:
        browser_page = context.new_page()

        def only_files(route):
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                attempts.append(route.request.url)
                route.abort()

        browser_page.route("**/*", only_files)
        browser_page.goto(page(graded, "bob").as_uri())
        browser_page.wait_for_function("document.querySelectorAll('mjx-container svg').length > 0", timeout=60_000)
        rendered = browser_page.evaluate("document.querySelectorAll('mjx-container').length")
        raw = browser_page.evaluate("""() => [...document.querySelectorAll('.text_cell_render')]
                                       .some(el => /\\$[^$\\s][^$]*\\$/.test(el.innerText))""")
        overflow = browser_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        text = browser_page.evaluate("document.body.innerText")
    finally:
        context.close()
    assert not attempts, f"the page asked the network for {attempts}"
    assert rendered > 0 and not raw
    # only mathematics is typeset: prompts and scores keep their brackets and parentheses as text
    assert re.search(r"In\s\[\d+\]:", text) and "(Score: " in text, text[:600]
    assert overflow <= 0, f"the page is {overflow}px wider than the window"
