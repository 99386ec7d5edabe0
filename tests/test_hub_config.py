"""hub/z2jh-values.yaml (Zero to JupyterHub) holds the settings of the local course hub (hub/jupyterhub_config.py
as `make hub` loads it, and the per-account settings hub/course_hub.py writes): groups, roles, the formgrader
service, the course id, the exchange and the students' disabled extensions."""
import copy
import importlib.util
import runpy
from pathlib import Path

import pytest
import yaml
from traitlets.config.loader import PyFileConfigLoader

from harness import REPO

VALUES = REPO / "hub" / "z2jh-values.yaml"


def load_course_hub():
    spec = importlib.util.spec_from_file_location("course_hub", REPO / "hub" / "course_hub.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course_hub = load_course_hub()


class Config(dict):
    """Attribute access like traitlets' config, for running an nbgrader_config.py."""
    def __getattr__(self, name):
        return self.setdefault(name, Config())

    def __setattr__(self, name, value):
        self[name] = value


def run_nbgrader_config(text, tmp_path):
    path = tmp_path / "nbgrader_config.py"
    path.write_text(text)
    config = Config()
    runpy.run_path(str(path), init_globals={"get_config": lambda: config,
                                            "load_subconfig": lambda name: None})
    return config


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load(VALUES.read_text())


@pytest.fixture
def local_hub(tmp_path, monkeypatch):
    """hub/jupyterhub_config.py as JupyterHub loads it for `make hub` (settings from course_hub.make_settings)."""
    settings = course_hub.make_settings(tmp_path / "state", "mcx-", "alice,bob", 8000)
    (tmp_path / "settings.json").write_text(course_hub.json.dumps(settings))
    monkeypatch.setenv("MATCALC_HUB_SETTINGS", str(tmp_path / "settings.json"))
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(REPO / "hub")).load_config()
    return settings, config


def disagreements(values, local_hub, tmp_path):
    """What the Helm values say differently from the local hub (an empty list when they agree)."""
    settings, local = local_hub
    course = settings["course_id"]
    found = []
    hub = values["hub"]
    if set(hub["config"]["JupyterHub"]["load_groups"]) != set(local.JupyterHub.load_groups):
        found.append(f"groups {sorted(hub['config']['JupyterHub']['load_groups'])} != "
                     f"{sorted(local.JupyterHub.load_groups)}")
    for role in local.JupyterHub.load_roles:
        theirs = hub["loadRoles"].get(role["name"])
        if theirs is None:
            found.append(f"role {role['name']} missing")
            continue
        for key in ("groups", "services", "scopes"):
            if sorted(theirs.get(key, [])) != sorted(role.get(key, [])):
                found.append(f"role {role['name']}: {key} {theirs.get(key)} != {role.get(key)}")
    (service,) = local.JupyterHub.services
    if list(hub["services"]) != [service["name"]]:
        found.append(f"services {list(hub['services'])} != [{service['name']!r}]")
    elif hub["services"][service["name"]].get("oauth_no_confirm") != service["oauth_no_confirm"]:
        found.append("oauth_no_confirm differs")
    files = values["singleuser"]["extraFiles"]
    theirs = run_nbgrader_config(files["nbgrader-config"]["stringData"], tmp_path)
    ours = run_nbgrader_config(course_hub.nbgrader_settings(settings), tmp_path)
    if theirs.Exchange.root != "/srv/nbgrader/exchange":
        found.append(f"exchange root {theirs.Exchange.root}")
    mounts = [m["mountPath"] for m in values["singleuser"]["storage"]["extraVolumeMounts"]]
    if theirs.Exchange.root not in mounts:
        found.append(f"the exchange {theirs.Exchange.root} is not a mounted volume ({mounts})")
    del theirs.Exchange["root"], ours.Exchange["root"]
    if theirs != ours:
        found.append(f"nbgrader settings {dict(theirs)} != {dict(ours)}")
    if theirs.CourseDirectory.get("course_id") != course:
        found.append(f"course id {theirs.CourseDirectory.get('course_id')} != {course}")
    lab = files["labconfig"]["data"]["disabledExtensions"]
    if lab != {name: True for name in course_hub.STUDENT_DISABLED_LAB}:
        found.append(f"disabled lab extensions {lab}")
    server = files["server-extensions"]["data"]["ServerApp"]["jpserver_extensions"]
    if server != {name: False for name in course_hub.STUDENT_DISABLED_SERVER}:
        found.append(f"disabled server extensions {server}")
    return found


def test_the_course_id_is_the_course_s(local_hub):
    settings, local = local_hub
    config = Config()
    runpy.run_path(str(REPO / "nbgrader_config.py"), init_globals={"get_config": lambda: config})
    assert settings["course_id"] == config.CourseDirectory.course_id == "matcalc"
    assert [s["name"] for s in local.JupyterHub.services] == ["matcalc"]
    assert set(local.JupyterHub.load_groups) == {"formgrade-matcalc", "nbgrader-matcalc"}
    assert local.JupyterHub.load_groups["formgrade-matcalc"]["users"] == ["mcx-instructor"]
    assert local.JupyterHub.load_groups["nbgrader-matcalc"]["users"] == ["mcx-alice", "mcx-bob"]
    assert local.JupyterHub.ip == local.JupyterHub.hub_ip == "127.0.0.1"


def test_the_values_file_holds_the_local_hub_s_settings(values, local_hub, tmp_path):
    assert disagreements(values, local_hub, tmp_path) == []


@pytest.mark.parametrize("plant", [
    lambda v: v["hub"]["config"]["JupyterHub"]["load_groups"].pop("nbgrader-matcalc"),
    lambda v: v["hub"]["loadRoles"]["formgrade-matcalc"]["scopes"].remove("access:services!service=matcalc"),
    lambda v: v["hub"]["services"].update({"course101": v["hub"]["services"].pop("matcalc")}),
    lambda v: v["singleuser"]["extraFiles"]["labconfig"]["data"]["disabledExtensions"].pop(
        "@jupyter/nbgrader:course-list"),
    lambda v: v["singleuser"]["extraFiles"]["server-extensions"]["data"]["ServerApp"]["jpserver_extensions"].update(
        {"nbgrader.server_extensions.formgrader": True}),
    lambda v: v["singleuser"]["extraFiles"]["nbgrader-config"].update(stringData=v["singleuser"]["extraFiles"][
        "nbgrader-config"]["stringData"].replace('"matcalc"', '"course101"')),
    lambda v: v["singleuser"]["storage"]["extraVolumeMounts"][0].update(mountPath="/srv/exchange"),
], ids=["group", "role scope", "service name", "lab extension", "server extension", "course id", "exchange mount"])
def test_a_planted_difference_is_caught(values, local_hub, tmp_path, plant):
    planted = copy.deepcopy(values)
    plant(planted)
    assert disagreements(planted, local_hub, tmp_path) != []
