"""hub/course_hub.py's safety rules, without creating anything: it refuses to run without root, never touches an
account it did not create, and `stop` removes only the accounts carrying its mark."""
import importlib.util
from types import SimpleNamespace

import pytest

from harness import REPO


@pytest.fixture
def course_hub(monkeypatch):
    spec = importlib.util.spec_from_file_location("course_hub", REPO / "hub" / "course_hub.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ran = []
    monkeypatch.setattr(module, "run", lambda *cmd, **kw: ran.append(cmd))   # nothing is executed
    module.ran = ran
    return module


def account(name, gecos):
    return SimpleNamespace(pw_name=name, pw_gecos=gecos, pw_dir=f"/home/{name}", pw_uid=4242, pw_gid=4242)


def test_without_root_it_says_why(course_hub, monkeypatch):
    monkeypatch.setattr(course_hub.os, "geteuid", lambda: 1000)
    with pytest.raises(course_hub.HubError, match="run it as root"):
        course_hub.check_prerequisites()
    assert course_hub.main(["start", "--root", "/nonexistent/matcalc-hub"]) == 1
    assert course_hub.ran == []


def test_an_account_it_did_not_create_is_left_alone(course_hub, monkeypatch):
    monkeypatch.setattr(course_hub.pwd, "getpwnam", lambda name: account(name, "Someone Else,,,"))
    with pytest.raises(course_hub.HubError, match="was not created by this script"):
        course_hub.create_account("matcalc-student1", "secret")
    assert course_hub.ran == []             # no chpasswd, no useradd


def test_stop_removes_only_marked_accounts_with_the_prefix(course_hub, monkeypatch, tmp_path):
    everyone = [account("matcalc-student1", course_hub.MARK), account("matcalc-admin", "The admin,,,"),
                account("other-student1", course_hub.MARK), account("root", "root")]
    monkeypatch.setattr(course_hub.pwd, "getpwall", lambda: everyone)
    monkeypatch.setattr(course_hub.pwd, "getpwnam", lambda name: next(a for a in everyone if a.pw_name == name))
    monkeypatch.setattr(course_hub, "end_processes_of", lambda uid: None)
    course_hub.stop(tmp_path / "state", "matcalc-")
    assert course_hub.ran == [("userdel", "--remove", "matcalc-student1")]


@pytest.mark.parametrize("prefix", ["", "1abc-", "a b-", "x;rm -rf /-"])
def test_a_bad_prefix_is_refused(course_hub, prefix):
    with pytest.raises(course_hub.HubError, match="account prefix"):
        course_hub.make_settings("/tmp/x", prefix, "alice", 8000)



def test_stop_removes_a_state_folder_only_if_start_made_it(course_hub, monkeypatch, tmp_path):
    monkeypatch.setattr(course_hub.pwd, "getpwall", lambda: [])
    (tmp_path / "someone's file").write_text("keep me")          # e.g. a mistyped HUB_ROOT=/home
    course_hub.stop(tmp_path, "matcalc-")
    assert (tmp_path / "someone's file").read_text() == "keep me"
    (tmp_path / "settings.json").write_text('{"prefix": "matcalc-"}')
    course_hub.stop(tmp_path, "matcalc-")
    assert not tmp_path.exists()
