"""A local JupyterHub for the course, for a trial on one machine: `make hub` starts it, `make hub-stop` removes it.

    python hub/course_hub.py start [--root DIR] [--prefix P] [--students a,b,c] [--port N]
    python hub/course_hub.py stop  [--root DIR] [--prefix P]

`start` (as root) creates real Unix accounts -- one instructor and a few students, all named PREFIX... and
marked in their comment field -- gives each a random password (PAM checks it at the hub's login page), copies
the course into the instructor's home, writes every account's nbgrader and Jupyter settings, creates the
exchange under the state folder and starts JupyterHub (hub/jupyterhub_config.py) on 127.0.0.1 in the
background. It prints the URL and the accounts. `stop` stops the hub (and with it every server it started),
deletes the accounts it created (only those carrying its mark) and the state folder. Both are idempotent.
"""
import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# The course environment of the hub (make hub builds it with the system's Python: every account must be able to
# run it, which a Python installed under /root, e.g. by pyenv, is not).
VENV_BIN = HERE / ".venv" / "bin"
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_ID = "matcalc"
MARK = "matcalc course hub trial account"          # the comment (GECOS) field of every account `start` creates
DEFAULTS = {"root": "/srv/matcalc-hub", "prefix": "matcalc-", "students": "student1,student2,student3", "port": 8000}
# nbgrader's instructor tools, switched off in every student's own settings (the instructor keeps them).
STUDENT_DISABLED_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                        "@jupyter/nbgrader:course-list"]
STUDENT_DISABLED_SERVER = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]
# Top-level entries of the repository that the instructor's copy of the course leaves out.
NOT_COPIED = {".git", ".venv", ".ci", "tests", "benchmarks", "docs", "hub", "submitted", "autograded", "feedback",
              "gradebook.db", "grades.csv", "reports", "bench_results", "nbgrader_exchange"}
READY_TIMEOUT = 180     # seconds for the hub to answer on a loaded machine; the wait ends as soon as it does


class HubError(Exception):
    """A reason the hub cannot be started or stopped, written for the person running `make hub`."""


# --------------------------------------------------------------------------- settings
def settings_path(root):
    return Path(root) / "settings.json"


def make_settings(root, prefix, students, port):
    if not prefix or not prefix[0].isalpha() or not all(ch.isalnum() or ch in "-_" for ch in prefix):
        raise HubError(f"account prefix {prefix!r}: use letters, digits, '-' or '_', starting with a letter")
    students = [s.strip() for s in students.split(",") if s.strip()]
    if not students:
        raise HubError("at least one student account is needed")
    instructor = f"{prefix}instructor"
    return {
        "root": str(root), "course_id": COURSE_ID, "prefix": prefix, "port": int(port),
        "hub_port": free_port(), "proxy_api_port": free_port(), "service_port": free_port(),
        "instructor": instructor, "students": [f"{prefix}{s}" for s in students],
        "exchange": str(Path(root) / "exchange"), "course": f"/home/{instructor}/{COURSE_ID}",
        "venv_bin": str(VENV_BIN), "proxy": str(PROXY),
    }


def accounts(settings):
    return [settings["instructor"], *settings["students"]]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- accounts
def run(*cmd, user=None, cwd=None, input=None):
    """Run a command (as `user` through runuser, with that user's HOME), raising HubError with its output."""
    env = {"PATH": f"{VENV_BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    if user:
        env["HOME"] = pwd.getpwnam(user).pw_dir
        cmd = ("runuser", "-u", user, "--", *cmd)
    proc = subprocess.run(cmd, cwd=cwd, env=env, input=input, capture_output=True, text=True)
    if proc.returncode != 0:
        raise HubError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def marked_accounts(prefix):
    """The accounts this script created: named PREFIX... and carrying its mark."""
    return [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(prefix) and p.pw_gecos == MARK]


def create_account(name, password):
    try:
        existing = pwd.getpwnam(name)
    except KeyError:
        run("useradd", "--create-home", "--shell", "/bin/bash", "--comment", MARK, name)
    else:
        if existing.pw_gecos != MARK:
            raise HubError(f"an account named {name} exists and was not created by this script: "
                           "choose another prefix (HUB_PREFIX=...)")
    run("chpasswd", input=f"{name}:{password}\n")
    # A home of its own: students must not read the instructor's course (solutions, gradebook) nor each other.
    os.chmod(pwd.getpwnam(name).pw_dir, 0o700)


def write_as(user, path, text):
    """Write a file in a user's home, owned by that user."""
    path = Path(path)
    account = pwd.getpwnam(user)
    for folder in reversed([path.parent, *path.parent.parents]):
        if str(folder).startswith(account.pw_dir) and not folder.exists():
            folder.mkdir()
            os.chown(folder, account.pw_uid, account.pw_gid)
    path.write_text(text)
    os.chown(path, account.pw_uid, account.pw_gid)


def nbgrader_settings(settings):
    """What every account's nbgrader reads (nbgrader's "global" settings, kept per account on this trial hub)."""
    return ("from nbgrader.auth import JupyterHubAuthPlugin\n"
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {settings['course_id']!r}\n"
            f"c.Exchange.root = {settings['exchange']!r}\n"
            "c.Exchange.path_includes_course = True\n"
            "c.Authenticator.plugin_class = JupyterHubAuthPlugin\n")


def copy_course(dest, user):
    shutil.copytree(REPO, dest, ignore=lambda folder, names: (
        [n for n in names if n in NOT_COPIED or n.endswith(".egg-info")] if Path(folder) == REPO
        else [n for n in names if n in ("__pycache__", ".ipynb_checkpoints")]))
    account = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(dest):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.chown(name, account.pw_uid, account.pw_gid)


def quiet_lab(user):
    """JupyterLab's question about fetching news from the internet, answered No (as on a hub without internet)."""
    home = Path(pwd.getpwnam(user).pw_dir)
    write_as(user, home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension" /
             "notification.jupyterlab-settings", json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def set_up_instructor(settings):
    user, course = settings["instructor"], settings["course"]
    if not Path(course).exists():
        copy_course(course, user)
    # The instructor's nbgrader (CLI, own server and the formgrader service) uses the course's own settings.
    write_as(user, Path(pwd.getpwnam(user).pw_dir) / ".jupyter" / "nbgrader_config.py",
             nbgrader_settings(settings) + f"load_subconfig({str(Path(course) / 'nbgrader_config.py')!r})\n")


def set_up_student(settings, user):
    home = Path(pwd.getpwnam(user).pw_dir)
    write_as(user, home / ".jupyter" / "nbgrader_config.py", nbgrader_settings(settings))
    # The student's JupyterLab shows neither the formgrader, the course list nor the create-assignment toolbar
    # (nbgrader's documented command, at the student's own level, so the instructor keeps them) ...
    run("jupyter", "labextension", "disable", "--level=user", *STUDENT_DISABLED_LAB, user=user, cwd=home)
    # ... and the student's server does not load the formgrader and course-list server extensions. This is the
    # file `jupyter server extension disable --user NAME` writes; the command itself refuses nbgrader 0.9's
    # per-part names ("could not be found": they have no _jupyter_server_extension_points) and writes nothing.
    write_as(user, home / ".jupyter" / "jupyter_server_config.json", json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_DISABLED_SERVER}}}, indent=1))


# --------------------------------------------------------------------------- the hub process
def hub_pid(root):
    pid_file = Path(root) / "jupyterhub.pid"
    try:
        pid = int(pid_file.read_text())
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    return None if state == "Z" else pid      # a zombie has exited already


def hub_answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/api", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def launch(settings):
    root = Path(settings["root"])
    env = {"PATH": f"{VENV_BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "MATCALC_HUB_SETTINGS": str(settings_path(root))}
    log = open(root / "jupyterhub.log", "ab")
    proc = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(HERE / "jupyterhub_config.py")],
                            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    (root / "jupyterhub.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + READY_TIMEOUT
    while not hub_answers(settings["port"]):
        if proc.poll() is not None:
            raise HubError(f"jupyterhub exited {proc.returncode}; its log:\n{log_tail(root)}")
        if time.monotonic() > deadline:
            raise HubError(f"jupyterhub did not answer within {READY_TIMEOUT} s; its log:\n{log_tail(root)}")
        time.sleep(0.25)    # polling the hub's own API, not waiting blindly


def log_tail(root, chars=4000):
    path = Path(root) / "jupyterhub.log"
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def check_prerequisites():
    if os.geteuid() != 0:
        raise HubError("the course hub creates Unix accounts and starts servers as them: run it as root "
                       "(sudo make hub)")
    if not (VENV_BIN / "jupyterhub").exists() or not (VENV_BIN / "jupyterhub-singleuser").exists():
        raise HubError(f"JupyterHub is not installed in {VENV_BIN.parent}: "
                       "pip install -r hub/requirements.txt (make hub does it)")
    if not PROXY.exists():
        raise HubError(f"{PROXY} is missing: npm install --prefix hub (make hub does it; Node.js from your "
                       "distribution: apt-get install nodejs npm)")
    python = (VENV_BIN / "python").resolve()
    for path in [python, *python.parents, REPO, *REPO.parents]:
        if not os.stat(path).st_mode & 0o001:
            raise HubError(f"{path} is not reachable by other accounts, whose servers run {VENV_BIN}: "
                           f"chmod o+x {path}, or build hub/.venv with a Python they can run")


def start(root, prefix, students, port):
    check_prerequisites()
    root = Path(root)
    if hub_pid(root):
        print(f"the course hub is already running (pid {hub_pid(root)}); make hub-stop stops it")
        print_summary(json.loads(settings_path(root).read_text()))
        return
    settings = make_settings(root, prefix, students, port)
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", settings["port"])) == 0:
            raise HubError(f"port {settings['port']} is in use on 127.0.0.1: choose another (HUB_PORT=...)")
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    settings_path(root).write_text(json.dumps(settings, indent=1))     # also the mark that `stop` may remove root
    try:
        exchange = Path(settings["exchange"])
        exchange.mkdir(exist_ok=True)
        exchange.chmod(0o1777)              # nbgrader's exchange: every account writes it; sticky, like /tmp
        passwords = {name: secrets.token_urlsafe(9) for name in accounts(settings)}
        for name in accounts(settings):
            create_account(name, passwords[name])
        set_up_instructor(settings)
        for student in settings["students"]:
            set_up_student(settings, student)
        for name in accounts(settings):
            quiet_lab(name)
        secret = root / "accounts.json"
        secret.write_text(json.dumps(passwords, indent=1))
        secret.chmod(0o600)
        launch(settings)
    except BaseException:
        stop(root, prefix)                  # nothing half-made stays behind
        raise
    print_summary(settings)


def print_summary(settings):
    passwords = json.loads((Path(settings["root"]) / "accounts.json").read_text())
    url = f"http://127.0.0.1:{settings['port']}"
    print(f"\nThe course hub is running: {url}/  (this machine only)")
    print(f"  instructor  {settings['instructor']:<24} password {passwords[settings['instructor']]}")
    print(f"              Formgrader: {url}/services/{settings['course_id']}/formgrader")
    for student in settings["students"]:
        print(f"  student     {student:<24} password {passwords[student]}")
    print(f"  exchange {settings['exchange']}, course {settings['course']}, log {settings['root']}/jupyterhub.log")
    print("Stop it and remove the accounts: make hub-stop")


def stop(root, prefix):
    root = Path(root)
    if settings_path(root).exists():
        prefix = json.loads(settings_path(root).read_text())["prefix"]
    pid = hub_pid(root)
    if pid:
        os.killpg(pid, signal.SIGTERM)      # the hub stops the servers, the service and the proxy it started
        deadline = time.monotonic() + 60
        while hub_pid(root) and time.monotonic() < deadline:
            time.sleep(0.2)
        if hub_pid(root):
            os.killpg(pid, signal.SIGKILL)
    removed = []
    for name in marked_accounts(prefix):
        end_processes_of(pwd.getpwnam(name).pw_uid)
        run("userdel", "--remove", name)
        removed.append(name)
    if settings_path(root).exists():        # only a folder `start` made (never e.g. a mistyped HUB_ROOT=/home)
        shutil.rmtree(root, ignore_errors=True)
    print(f"course hub stopped; removed {', '.join(removed) or 'no accounts'}"
          f"{'' if root.exists() else f' and {root}'}")


def end_processes_of(uid):
    """SIGKILL whatever still runs as an account about to be deleted (a kernel the hub could not stop)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--root", default=os.environ.get("HUB_ROOT") or DEFAULTS["root"],
                        help="state folder: hub database, exchange, log (default %(default)s)")
    parser.add_argument("--prefix", default=os.environ.get("HUB_PREFIX") or DEFAULTS["prefix"],
                        help="prefix of the account names (default %(default)s)")
    parser.add_argument("--students", default=os.environ.get("HUB_STUDENTS") or DEFAULTS["students"],
                        help="student names after the prefix, comma-separated (default %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT") or DEFAULTS["port"]),
                        help="port of the hub on 127.0.0.1 (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            start(args.root, args.prefix, args.students, args.port)
        else:
            stop(args.root, args.prefix)
    except HubError as exc:
        print(f"course hub: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
