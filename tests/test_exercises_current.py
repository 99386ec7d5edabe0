"""The committed exercises/ are exactly what `make exercises` generates from solutions/."""
import filecmp
import shutil

import nbformat

from harness import REPO, BIN, run

VOLATILE_NOTEBOOK_METADATA = {"widgets"}  # editor state that does not change what a student gets


def _content(path):
    nb = nbformat.read(path, as_version=4)
    meta = {k: v for k, v in nb.metadata.items() if k not in VOLATILE_NOTEBOOK_METADATA}
    cells = [(c.cell_type, c.source, dict(c.metadata), c.get("outputs", [])) for c in nb.cells]
    return meta, cells


def test_committed_exercises_match_a_fresh_release(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions", root / "solutions")
    run([str(BIN / "autograder"), "release", "--no-db"], cwd=root)

    fresh = sorted(p.relative_to(root / "exercises") for p in (root / "exercises").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(REPO / "exercises") for p in (REPO / "exercises").rglob("*")
                       if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    assert committed == fresh, "exercises/ lists other files than a fresh release: run `make exercises`"
    for rel in fresh:
        new, old = root / "exercises" / rel, REPO / "exercises" / rel
        if rel.suffix == ".ipynb":
            assert _content(old) == _content(new), f"exercises/{rel} is stale: run `make exercises`"
        else:
            assert filecmp.cmp(old, new, shallow=False), f"exercises/{rel} is stale: run `make exercises`"
