"""Every notebook of the course runs top to bottom in a real kernel."""
import pytest

from notebooks import REPO, assignment_notebooks, errors, execute, lectures


def _ids(paths):
    return [str(p.relative_to(REPO)) for p in paths]


@pytest.mark.parametrize("path", lectures(), ids=_ids(lectures()))
def test_lecture_runs(path):
    execute(path)  # raises CellExecutionError with the cell and traceback on failure


@pytest.mark.parametrize("path", assignment_notebooks("solutions"), ids=_ids(assignment_notebooks("solutions")))
def test_solution_passes_all_its_tests(path):
    execute(path)


@pytest.mark.parametrize("path", assignment_notebooks("exercises"), ids=_ids(assignment_notebooks("exercises")))
def test_release_fails_only_where_work_is_missing(path):
    found = errors(execute(path, allow_errors=True))
    assert found, "a released notebook with no failing cell gives points for nothing"
    unexpected = [e for e in found if e[1] != "NotImplementedError"]
    assert not unexpected, f"cells fail for another reason than a missing answer: {unexpected}"


def test_every_folder_has_notebooks():
    assert lectures() and assignment_notebooks("solutions") and assignment_notebooks("exercises")
    released = {p.relative_to(REPO / "exercises") for p in assignment_notebooks("exercises")}
    assert released == {p.relative_to(REPO / "solutions") for p in assignment_notebooks("solutions")}
