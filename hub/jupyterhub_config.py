"""JupyterHub configuration of the course hub (`make hub`), following nbgrader's "Using nbgrader with JupyterHub".

The per-run values (state folder, ports, account names) come from the settings file that hub/course_hub.py
writes (MATCALC_HUB_SETTINGS); everything else is the course's fixed set-up. hub/z2jh-values.yaml holds the
same settings for a Kubernetes hub (Zero to JupyterHub), and tests/test_hub_config.py checks the two agree.
"""
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)
s = json.loads(Path(os.environ["MATCALC_HUB_SETTINGS"]).read_text())
root, course = Path(s["root"]), s["course_id"]
env = {"PATH": f"{s['venv_bin']}:/usr/bin:/bin", "LANG": "C.UTF-8"}

# This machine only: the public proxy, the hub's own API and the proxy's API all listen on 127.0.0.1.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = s["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [s["proxy"]]         # configurable-http-proxy from npm, in hub/node_modules
c.JupyterHub.db_url = f"sqlite:///{root / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(root / "jupyterhub_cookie_secret")

# Real Unix accounts, checked by PAM (their passwords are set by course_hub.py); only the course's accounts.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {s["instructor"], *s["students"]}

# Each person's server is a process of their own account, running the course environment (the repo's .venv).
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [f"{s['venv_bin']}/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = env
c.Spawner.start_timeout = 180       # a loaded machine starts JupyterLab slowly
c.Spawner.http_timeout = 180

# nbgrader's groups: formgrade-<course> may grade, nbgrader-<course> are the students of the course
# (JupyterHubAuthPlugin reads a user's courses from these groups).
c.JupyterHub.load_groups = {
    f"formgrade-{course}": {"users": [s["instructor"]]},
    f"nbgrader-{course}": {"users": s["students"]},
}
c.JupyterHub.load_roles = [
    {   # graders reach the formgrader service
        "name": f"formgrade-{course}",
        "groups": [f"formgrade-{course}"],
        "scopes": [f"access:services!service={course}", "list:services", f"read:services!service={course}"],
    },
    {   # students see that the course exists (its service), without reaching it
        "name": f"nbgrader-{course}",
        "groups": [f"nbgrader-{course}"],
        "scopes": ["list:services", f"read:services!service={course}"],
    },
    {   # a server's token may read its owner's groups (the Assignment List asks which courses they take)
        "name": "server",
        "scopes": ["inherit"],
    },
    {   # the formgrader adds students to the course group when an instructor adds them in Manage Students
        "name": f"{course}-formgrader",
        "services": [course],
        "scopes": ["list:users", "read:users", "list:groups", "read:groups", f"groups!group=nbgrader-{course}"],
    },
]

# The formgrader: a JupyterLab server managed by the hub as the service named like the course, run by the
# instructor's account in the course folder; graders open it at /services/<course>/formgrader.
c.JupyterHub.services = [{
    "name": course,
    "url": f"http://127.0.0.1:{s['service_port']}",
    "command": [f"{s['venv_bin']}/jupyterhub-singleuser"],
    "user": s["instructor"],
    "cwd": s["course"],
    "environment": {**env, "JUPYTERHUB_DEFAULT_URL": "/formgrader"},
    "oauth_no_confirm": True,
}]
