"""The notebook toolbar's Validate button, answered by ``autograder validate`` (a Jupyter server extension).

nbgrader's button posts to ``/assignments/validate`` and shows every failing test cell's whole source and
traceback (and "Success!" on a lecture).  This extension answers the same request first (extensions load in
alphabetical order and the first matching handler wins) with what ``autograder validate`` finds: tests run
in the checker, one short entry per item -- failing with its one-line diagnosis, or not attempted -- and a
plain message for notebooks without graded items.  Enable it with
``jupyter server extension enable autograder.lab`` (``make install`` does).
"""
import asyncio
import html
import json
import sys
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

_LOCK = asyncio.Lock()  # one validation at a time: each starts a kernel and a checker


def answer(ok, lines):
    """The reply nbgrader's Validate dialog understands, built from :func:`autograder.validate.validate`."""
    items = [line for line in lines[1:] if line[:1] in ("✗", "·")]
    if ok and len(lines) == 1 and lines[0].startswith("no graded items"):
        return {"success": False, "value": "This notebook has no graded items (a lecture or scratch work), so "
                                           "there is nothing to validate. Validate an assignment from exercises/."}
    if ok:
        return {"success": True, "value": json.dumps({})}
    failed = []
    for line in items:
        name, _, rest = line[2:].partition(") ")
        state, _, diagnosis = rest.partition(": ")
        if state.startswith("not attempted"):
            diagnosis = "not attempted yet: replace raise NotImplementedError() with your code, then run the cell"
        failed.append({"source": f"{name}) — {state.strip()}", "error": html.escape(diagnosis)})
    others = [line for line in lines[1:] if line[:1] not in ("✗", "·", "✓", " ")]  # edited locked cells
    failed += [{"source": line.split(":", 1)[0], "error": html.escape(line.split(":", 1)[-1].strip())}
               for line in others]
    return {"success": True, "value": json.dumps({"failed": failed})}


class ValidateHandler(JupyterHandler):
    @web.authenticated
    async def post(self):
        try:
            path = self.get_argument("path")
        except web.MissingArgumentError:
            path = (self.get_json_body() or {}).get("path", "")
        root = Path(self.settings["server_root_dir"]).expanduser().resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise web.HTTPError(403, "Access denied: path outside allowed directory")
        async with _LOCK:  # in a process of its own: kernels and checkers never live in the server
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "autograder.cli", "validate", "--json", str(target),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(target.parent))
            out, err = await proc.communicate()
        try:
            result = json.loads(out.decode().strip().splitlines()[-1])
            reply = answer(result["ok"], result["lines"])
        except (ValueError, IndexError, KeyError):
            self.log.error("autograder validate failed: %s", err.decode()[-2000:])
            reply = {"success": False, "value": "autograder validate failed: " + err.decode()[-1500:]}
        self.finish(json.dumps(reply))


def _jupyter_server_extension_points():
    return [{"module": "autograder.lab"}]


def _load_jupyter_server_extension(server_app):
    web_app = server_app.web_app
    route = url_path_join(web_app.settings["base_url"], "/assignments/validate")
    web_app.add_handlers(".*$", [(route, ValidateHandler)])
    server_app.log.info("autograder: the Validate button runs autograder validate")
