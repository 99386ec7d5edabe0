"""nbgrader's gradebook: register an assignment, give each worker a private copy, merge results back.

Only the parent process writes the course's gradebook (SQLite has one writer).  A worker grades in a
scratch course whose gradebook is a copy of :func:`build_template` -- the assignment's definition and
nothing else (no other student, no grade) -- and nbgrader's Autograde writes the scores there.
:func:`merge` then copies them into the course gradebook with the rule of nbgrader's SaveAutoGrades (a
manual grade is never overwritten; an item with a manual grade is flagged for review).  Merging is
idempotent: grading a student again replaces the same rows, it never adds to them.
"""
import datetime
import os
import shutil
import tempfile

from nbgrader.api import Gradebook, MissingEntry

from .course import CourseError, load_api, load_config, run_step


def open_gradebook(api):
    return Gradebook(api.coursedir.db_url, api.coursedir.course_id)


def is_registered(api, assignment):
    with open_gradebook(api) as gb:
        try:
            return bool(gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            return False


def register(root, assignment, log=print):
    """Record an assignment from ``solutions/`` in the gradebook, without touching ``exercises/``.

    This is nbgrader's generate_assignment (which records the cells, hidden tests included) with its
    output sent to a temporary folder.
    """
    config = load_config(root)
    api = load_api(root, config)
    source = os.path.join(api.coursedir.root, api.coursedir.source_directory, assignment)
    if not os.path.isdir(source):
        raise CourseError(f"no assignment '{assignment}': {source} does not exist")
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as tmp:
        config.CourseDirectory.release_directory = tmp
        api = load_api(root, config)
        run_step(api.generate_assignment(assignment, force=True, create=True), f"registering {assignment}")
    log(f"registered {assignment} in the gradebook (from {api.coursedir.source_directory}/{assignment})")


def definition(api, assignment):
    """The assignment as the gradebook knows it, as plain data (for the scratch gradebooks)."""
    with open_gradebook(api) as gb:
        a = gb.find_assignment(assignment)
        return {
            "name": a.name,
            "duedate": a.duedate.isoformat() if a.duedate else None,
            "notebooks": [{
                "name": nb.name,
                "kernelspec": nb.kernelspec,
                "grade_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                                for c in nb.grade_cells],
                "solution_cells": [c.name for c in nb.solution_cells],
                "task_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                               for c in nb.task_cells],
                "source_cells": [{"name": c.name, "cell_type": c.cell_type, "locked": c.locked,
                                  "source": c.source, "checksum": c.checksum} for c in nb.source_cells],
            } for nb in a.notebooks],
        }


def alembic_version(api):
    """The schema version recorded in the course gradebook."""
    from sqlalchemy import create_engine, text
    engine = create_engine(api.coursedir.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def build_template(path, course_id, spec, version):
    """A gradebook holding only the assignment's definition.

    The tables are created directly with the course gradebook's schema ``version``: nbgrader would
    otherwise run the ``alembic`` program to learn it, which costs seconds.
    """
    from sqlalchemy import create_engine, text
    from nbgrader.api import Base
    if os.path.exists(path):
        os.remove(path)
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(bind=engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
    engine.dispose()
    with Gradebook(f"sqlite:///{path}", course_id) as gb:
        duedate = datetime.datetime.fromisoformat(spec["duedate"]) if spec["duedate"] else None
        gb.add_assignment(spec["name"], duedate=duedate)
        for nb in spec["notebooks"]:
            gb.add_notebook(nb["name"], spec["name"], kernelspec=nb["kernelspec"])
            for c in nb["grade_cells"]:
                gb.add_grade_cell(c["name"], nb["name"], spec["name"], max_score=c["max_score"], cell_type=c["cell_type"])
            for name in nb["solution_cells"]:
                gb.add_solution_cell(name, nb["name"], spec["name"])
            for c in nb["task_cells"]:
                gb.add_task_cell(c["name"], nb["name"], spec["name"], max_score=c["max_score"], cell_type=c["cell_type"])
            for c in nb["source_cells"]:
                gb.add_source_cell(c["name"], nb["name"], spec["name"], cell_type=c["cell_type"], locked=c["locked"],
                                   source=c["source"], checksum=c["checksum"])
    return path


def student_context(api, assignment, student):
    """What a scratch gradebook must know of a student beforehand: an extension of the due date."""
    with open_gradebook(api) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return {}
        return {"extension_seconds": sub.extension.total_seconds()} if sub.extension else {}


def scratch_copy(template, dest, course_id, assignment, student, context):
    shutil.copyfile(template, dest)
    if context.get("extension_seconds"):
        with Gradebook(f"sqlite:///{dest}", course_id) as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student,
                                           extension=datetime.timedelta(seconds=context["extension_seconds"]))


def scratch_results(db_path, course_id, assignment, student):
    """Everything nbgrader's Autograde recorded for the student in a scratch gradebook."""
    with Gradebook(f"sqlite:///{db_path}", course_id) as gb:
        sub = gb.find_submission(assignment, student)
        return {
            "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "notebooks": {nb.name: {
                "late_penalty": nb.late_submission_penalty,
                "grades": {g.name: {"auto_score": g.auto_score, "needs_manual_grade": bool(g.needs_manual_grade),
                                    "max_score": g.max_score} for g in nb.grades},
                "comments": {c.name: c.auto_comment for c in nb.comments},
            } for nb in sub.notebooks},
        }


def merge(api, assignment, student, results):
    """Write one student's scratch results into the course gradebook (one transaction for the scores)."""
    with open_gradebook(api) as gb:
        gb.update_or_create_student(student)
        if results.get("timestamp"):
            gb.update_or_create_submission(assignment, student, timestamp=results["timestamp"])
        else:
            gb.update_or_create_submission(assignment, student)
        for name, nb in results["notebooks"].items():
            sub_nb = gb.find_submission_notebook(name, assignment, student)
            grades = {g.name: g for g in sub_nb.grades}
            for gid, value in nb["grades"].items():
                grade = grades[gid]
                grade.auto_score = value["auto_score"]
                grade.needs_manual_grade = value["needs_manual_grade"] or grade.manual_score is not None
            comments = {c.name: c for c in sub_nb.comments}
            for cid, text in nb["comments"].items():
                comments[cid].auto_comment = text
            sub_nb.late_submission_penalty = nb["late_penalty"]
        gb.db.commit()


def zero(api, assignment, student, timestamp=None):
    """No gradable notebook: every item 0, nothing to review (what nbgrader does for a missing notebook)."""
    with open_gradebook(api) as gb:
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
        for nb in gb.find_submission(assignment, student).notebooks:
            for grade in nb.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def scores(api, assignment):
    """{student: {grade_id: score}} of every graded item (manual items included, as nbgrader scores them)."""
    out = {}
    with open_gradebook(api) as gb:
        for sub in gb.assignment_submissions(assignment):
            out[sub.student.id] = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
    return out


def max_scores(api, assignment):
    with open_gradebook(api) as gb:
        return {c.name: c.max_score for nb in gb.find_assignment(assignment).notebooks for c in nb.grade_cells}


def export_csv(api):
    """grades.csv in the course root, by nbgrader's own CSV exporter (one row per student and assignment)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin
    path = os.path.join(api.coursedir.root, "grades.csv")
    plugin = CsvExportPlugin(config=api.config)
    plugin.to = path
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        plugin.export(gb)
    return path
