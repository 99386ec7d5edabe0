"""environment.yml (conda) asks for exactly what pyproject.toml (pip, `make install`) asks for."""
import re
import sys

import pytest
import yaml
from harness import REPO
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the TOML reader that pip itself uses
    from pip._vendor import tomli as tomllib


def normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    reqs = {normal(r.name): r.specifier for r in map(Requirement, wanted)}
    return reqs, SpecifierSet(project["requires-python"])


def environment():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda, pip = {}, {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            pip_entries = entry["pip"]
            continue
        req = Requirement(entry)
        conda[normal(req.name)] = req.specifier
    for entry in pip_entries:
        if not entry.startswith("-e"):
            req = Requirement(entry)
            pip[normal(req.name)] = req.specifier
    return conda, pip, pip_entries


def test_environment_yml_has_the_packages_and_bounds_of_pyproject():
    reqs, python = pyproject()
    conda, pip, _ = environment()
    assert conda.pop("python") == python
    conda.pop("pip")
    both = set(conda) & set(pip)
    assert not both, f"listed for conda and for pip: {both}"
    assert {**conda, **pip} == reqs


def test_environment_yml_installs_the_course_packages_from_this_folder():
    *_, pip_entries = environment()
    assert "-e .[test]" in pip_entries


@pytest.mark.parametrize("line", ["  - numpy>=2", "  - nbgrader>=0.9,<0.11"])
def test_a_drifted_bound_is_caught(line, tmp_path, monkeypatch):
    name = normal(Requirement(line.strip("- ")).name)
    text = (REPO / "environment.yml").read_text()
    drifted = re.sub(rf"^  - {name}\b.*$", line, text, flags=re.M)
    assert drifted != text
    (tmp_path / "environment.yml").write_text(drifted)
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    with pytest.raises(AssertionError):
        test_environment_yml_has_the_packages_and_bounds_of_pyproject()
