"""``autograder release``: solutions/ -> exercises/ with nbgrader generate_assignment."""
from .course import assignments, load_api, load_config, run_step


def release(root, names=None, record=True, log=print):
    """Generate the student version of each assignment (all of them by default).

    ``record=False`` leaves the gradebook alone (nbgrader's ``--no-db``): only exercises/ changes.
    """
    config = load_config(root)
    if not record:  # what `nbgrader generate_assignment --no-db` sets
        config.GenerateAssignment.no_database = True
        config.SaveCells.enabled = False
    api = load_api(root, config)
    for name in names or assignments(root):
        run_step(api.generate_assignment(name, force=True, create=record), f"releasing {name}")
        log(f"released {name} -> {api.coursedir.release_directory}/{name}")
