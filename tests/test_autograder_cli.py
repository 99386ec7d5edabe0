"""The other commands: `validate` (student side), uploads through zip_collect, and `demo`."""
import hashlib
import json
import zipfile

import nbformat
import pytest
from harness import BIN, Course, nbgrader, run

from submissions import corpus

WARMUP = "00_warmup"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return Course.copy(tmp_path_factory.mktemp("cli"), [WARMUP])


def validate(path):
    return run([BIN / "autograder", "validate", path], cwd=path.parent, check=False, timeout=300)


def test_validate_passes_a_correct_notebook(course, tmp_path):
    path = tmp_path / f"{WARMUP}.ipynb"
    nbformat.write(corpus.good(course), path)
    proc = validate(path)
    assert proc.returncode == 0, proc.stderr
    assert "PASSED" in proc.stdout and f"{len(corpus.ITEMS)} passed" in proc.stdout


def test_validate_fails_with_the_failing_items_and_their_messages(course, tmp_path):
    path = tmp_path / f"{WARMUP}.ipynb"
    nbformat.write(corpus.good(course, grad_f=corpus.WRONG_GRAD), path)
    assert nbgrader("validate", path, cwd=tmp_path).returncode == 0  # nbgrader's own: exit 0 (its issue #1908)
    proc = validate(path)
    assert proc.returncode == 1
    lines = [line.strip() for line in proc.stderr.splitlines()]
    assert "✗ test_grad_f (3 points) failing: GradientCheckError: [factor ×2]" in " ".join(lines)
    assert "✓ test_dy_dx (1 point) passed" in lines


def test_validate_lists_every_unfinished_item(course, tmp_path):
    path = tmp_path / f"{WARMUP}.ipynb"
    nbformat.write(course.released(WARMUP), path)
    proc = validate(path)
    assert proc.returncode == 1
    for gid in corpus.ITEMS:
        assert f"· {gid} (" in proc.stderr and "not attempted" in proc.stderr


def test_validate_is_not_fooled_by_patches_and_sees_edited_tests(course, tmp_path):
    patched = tmp_path / "patched" / f"{WARMUP}.ipynb"
    patched.parent.mkdir()
    nbformat.write(corpus.good(course, grad_f=corpus.PATCH_CHECKS), patched)
    proc = validate(patched)  # the patch lives in the student's kernel; the tests run in the checker
    assert proc.returncode == 1 and "test_grad_f (3 points) failing" in proc.stderr and "[factor ×2]" in proc.stderr
    edited = tmp_path / "edited" / f"{WARMUP}.ipynb"
    edited.parent.mkdir()
    nbformat.write(corpus.edit(corpus.good(course), "test_grad_f", source="print('fine')"), edited)
    proc = validate(edited)
    assert proc.returncode == 1 and "test_grad_f: this locked cell was edited" in proc.stderr


def test_validate_explains_a_damaged_file(tmp_path):
    path = tmp_path / f"{WARMUP}.ipynb"
    path.write_bytes(b'{"cells": [')
    proc = validate(path)
    assert proc.returncode == 1 and "is not valid JSON" in proc.stderr


def test_uploads_named_by_student_go_through_zip_collect(course, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    nbformat.write(corpus.good(course), uploads / "alice.ipynb")
    with zipfile.ZipFile(uploads / "bob.zip", "w") as zf:  # a folder inside, and the notebook renamed
        zf.writestr("bob_homework/warmup final.ipynb", nbformat.writes(corpus.good(course, grad_f=corpus.WRONG_GRAD)))
    (uploads / "carol.zip").write_bytes(b"this is not a zip archive")
    (uploads / "dave.ipynb").write_bytes(b"")
    (tmp_path / "fresh").mkdir()
    fresh = Course.copy(tmp_path / "fresh", [WARMUP])
    proc = run([BIN / "autograder", "grade", WARMUP, "--submissions", uploads, "--quiet", "--no-report"],
               cwd=fresh.root)
    assert "with nbgrader zip_collect" in proc.stdout
    assert (fresh.root / "submitted" / "alice" / WARMUP / f"{WARMUP}.ipynb").exists()  # nbgrader's layout
    scores = fresh.scores(WARMUP)
    assert sum(scores["alice"][g] for g in corpus.ITEMS) == 4
    assert scores["bob"]["test_grad_f"] == 0 and scores["bob"]["test_dy_dx"] == 1
    results = {p.stem: json.loads(p.read_text()) for p in (fresh.root / "reports" / WARMUP / "students").glob("*.json")}
    assert "handed in as warmup final.ipynb" in " ".join(results["bob"]["notes"])
    assert "carol.zip is not a readable zip archive" in " ".join(results["carol"]["notes"])
    assert "dave" in results and results["dave"]["status"] == "not gradable"
    assert "is an empty file" in " ".join(results["dave"]["notes"])
    assert all(scores[s][g] == 0 for s in ("carol", "dave") for g in corpus.ITEMS)


def test_demo_grades_a_sample_class_in_a_course_of_its_own(course, tmp_path):
    # run from an instructor's course that has a gradebook: the demo must leave it and the course as they are
    gradebook = course.root / "gradebook.db"
    before = hashlib.sha256(gradebook.read_bytes()).hexdigest()
    entries = sorted(p.name for p in course.root.iterdir())
    into = tmp_path / "demo"
    proc = run([BIN / "autograder", "demo", "--students", "8", "--into", into], cwd=course.root)
    out = proc.stdout
    assert "The sample class:" in out and "tampered: patched matcalc checks" in out
    assert f"The demo course is {into}" in out
    assert "student001" in out and "not valid JSON" in out
    assert (into / "reports" / WARMUP / "report.png").exists() and (into / "gradebook.db").exists()
    assert hashlib.sha256(gradebook.read_bytes()).hexdigest() == before  # the instructor's gradebook
    assert sorted(p.name for p in course.root.iterdir()) == entries      # no submitted/, feedback/, ... here
