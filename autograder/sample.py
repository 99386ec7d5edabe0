"""Sample submissions for any assignment: correct, typical mistakes, unfinished, tampered.

Built from the assignment's own ``solutions/`` notebook and its released version, so it works for every
assignment that follows the course convention (a solution cell is named after the function it defines).
Mistakes are mutations of the correct function -- an extra factor 2, a flipped sign, a transpose, a
forgotten ``return`` -- which ``matcalc``'s checks name (``[factor ×2]``, ``[sign flipped]`` ...).
Used by ``autograder demo``, the benchmark and the tests.
"""
import random
import re

import nbformat

SOLUTION_REGION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(?:\n|\Z)", re.M)

# name -> expression of `_right` (the correct result) that a student with this slip returns
MUTATIONS = {
    "factor 2": "2 * _right",
    "sign flipped": "-_right",
    "transposed": "__import__('numpy').transpose(_right)",
    "forgot return": "None",
    "added a constant": "_right + 1",
}

RANDOM_MUTATIONS = ["factor 2", "sign flipped", "forgot return", "added a constant"]  # a transpose of a vector is no slip

TAMPERING = {
    # replaces matcalc's checks so every check passes (the functions are wrong)
    "patched matcalc checks": (
        "import matcalc as _mc\n"
        "for _name in ('check_gradient', 'check_jacobian', 'check_hessian'):\n"
        "    setattr(_mc, _name, lambda *args, **kwargs: 'looks fine')\n"),
    # numpy's comparisons always agree
    "patched numpy.allclose": (
        "import numpy as _np\n_np.allclose = lambda *args, **kwargs: True\n"
        "_np.testing.assert_allclose = lambda *args, **kwargs: None\n"),
    # an AST transformer wraps every later cell in try/except: no test cell can fail any more
    "swallowed failures": (
        "import ast as _ast\n"
        "class _Quiet(_ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        handler = _ast.ExceptHandler(type=_ast.Name('BaseException', _ast.Load()), name=None,\n"
        "                                     body=[_ast.Pass()])\n"
        "        node.body = [_ast.Try(body=node.body or [_ast.Pass()], handlers=[handler], orelse=[],\n"
        "                             finalbody=[])]\n"
        "        return _ast.fix_missing_locations(node)\n"
        "get_ipython().ast_transformers.append(_Quiet())\n"),
}


def strip_markers(source):
    return SOLUTION_REGION.sub("", source)


def solutions(source_nb):
    """{grade_id: correct source} of the solution cells of a source (solutions/) notebook."""
    return {c.metadata["nbgrader"]["grade_id"]: strip_markers(c.source) for c in source_nb.cells
            if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}


def functions(source_nb):
    """Graded functions: solution cells named after the function they define."""
    return [gid for gid, src in solutions(source_nb).items() if re.search(rf"^def {re.escape(gid)}\(", src, re.M)]


def mutate(source, name, how):
    """A solution cell whose function ``name`` returns a typical wrong answer."""
    return (source.rstrip() + f"\n\n_right_{name} = {name}\n"
            f"def {name}(*args, **kwargs):\n"
            f"    _right = _right_{name}(*args, **kwargs)\n"
            f"    return {MUTATIONS[how]}\n")


def notebook(released, source_nb, answers=None):
    """The released notebook with every solution cell answered correctly, except ``answers``."""
    nb = _copy(released)
    correct = solutions(source_nb)
    answers = dict(answers or {})
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            gid = meta["grade_id"]
            cell.source = answers.pop(gid) if gid in answers else correct[gid]
    if answers:
        raise KeyError(f"no solution cells named {sorted(answers)}")
    return nb


def _copy(nb):
    return nbformat.reads(nbformat.writes(nb), as_version=4)


def tampered(released, source_nb, how):
    """Wrong answers everywhere, and a trick that would make the tests pass anyway."""
    funcs = functions(source_nb)
    correct = solutions(source_nb)
    answers = {name: mutate(correct[name], name, "factor 2") for name in funcs}
    if funcs and how in TAMPERING:
        answers[funcs[0]] = TAMPERING[how] + "\n" + answers[funcs[0]]
    return notebook(released, source_nb, answers)


def sample_class(released, source_nb, size=30, seed=0, tampering=True):
    """{student: (kind, notebook)} -- about half correct, a third with one typical mistake, the rest
    unfinished, and (``tampering``) a few tampered ones."""
    rng = random.Random(seed)
    funcs = functions(source_nb)
    correct = solutions(source_nb)
    kinds = []
    n_tamper = min(len(TAMPERING), max(1, size // 10)) if tampering else 0
    n_unfinished = max(1, size // 6)
    n_mistake = max(1, size // 3)
    n_correct = max(0, size - n_tamper - n_unfinished - n_mistake)
    kinds += ["correct"] * n_correct + ["mistake"] * n_mistake + ["unfinished"] * n_unfinished
    kinds += ["tampered"] * n_tamper
    students = {}
    tricks = list(TAMPERING)
    for number, kind in enumerate(kinds):
        student = f"student{number + 1:03d}"
        if kind == "correct" or not funcs:
            nb, label = notebook(released, source_nb), "correct"
        elif kind == "mistake":
            name = rng.choice(funcs)
            how = rng.choice(RANDOM_MUTATIONS)
            nb, label = notebook(released, source_nb, {name: mutate(correct[name], name, how)}), f"{how} in {name}"
        elif kind == "unfinished":
            left = rng.sample(funcs, k=max(1, len(funcs) // 2))
            nb = notebook(released, source_nb, {name: _stub(released, name) for name in left})
            label = "unfinished: " + ", ".join(left)
        else:
            how = tricks[(number - n_correct - n_mistake - n_unfinished) % len(tricks)]
            nb, label = tampered(released, source_nb, how), f"tampered: {how}"
        students[student] = (label, nb)
    return students


def _stub(released, gid):
    for cell in released.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == gid:
            return cell.source
    raise KeyError(gid)
