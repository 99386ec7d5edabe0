"""How the class did: a histogram of scores, the pass rate of each item, the most frequent diagnoses.

Everything comes from what nbgrader left behind -- the gradebook's scores and the autograded
notebooks' outputs, where a failed ``matcalc`` check starts its message with a bracketed label
(``GradientCheckError: [transposed] ...``) -- plus, when ``autograder grade`` made them, the per-student
result files with the grader's notes (tampering, limits, unreadable files).  So the report also works
after a plain ``nbgrader autograde``.
"""
import difflib
import html
import json
import os
import re
from collections import Counter, defaultdict

import nbformat
from nbgrader import utils

from .course import CourseError
from .gradebook import open_gradebook

LABEL = re.compile(r"^\s*\[([^\]\n]{1,80})\]")
PRIORITY = ("TamperingDetected", "NotRun", "DeadKernelError", "CellTimeoutError")


def item_outcomes(nb):
    """One dict per graded cell of an autograded notebook: score, status, message and diagnosis."""
    items = []
    for cell in nb.cells:
        if not utils.is_grade(cell):
            continue
        meta = cell.metadata["nbgrader"]
        item = {"grade_id": meta.get("grade_id"), "max": float(meta.get("points", 0)), "score": None,
                "status": "manual", "message": "", "diagnosis": None}
        if cell.cell_type == "code" and not utils.is_solution(cell):
            score, _ = utils.determine_grade(cell)
            item["score"] = score
            item["status"] = "passed" if score == item["max"] else ("partial" if score else "failed")
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            errors.sort(key=lambda o: PRIORITY.index(o.get("ename")) if o.get("ename") in PRIORITY else len(PRIORITY))
            if errors:
                first = errors[0]
                item["message"] = f"{first.get('ename')}: {first.get('evalue', '')}".strip()
                item["error"] = first.get("ename")
            else:
                stderr = [o.get("text", "") for o in cell.get("outputs", [])
                          if o.get("output_type") == "stream" and o.get("name") == "stderr"]
                if stderr and item["status"] != "passed":
                    item["message"] = "printed to stderr: " + "".join(stderr).strip()[:300]
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    match = LABEL.match(output.get("evalue") or "")
                    if match and output.get("ename") not in PRIORITY:
                        item["diagnosis"] = match.group(1)
                        break
        items.append(item)
    return items


def shorten(text, width):
    """``text`` on one line, at most ``width`` characters, cut only between words (with "…")."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[:width]
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space]
    else:  # one word longer than the width: no boundary to cut at
        cut = cut[:width - 1]
    return cut.rstrip(" ,;:([{") + "…"


def describe(item):
    """One failed item for a person: ``[label] message``, the label said once."""
    message = item.get("message") or item.get("error") or "failed"
    label = item.get("diagnosis")
    if not label:
        return message
    body = re.sub(r"^\w+: ", "", message)                 # GradientCheckError: ...
    body = LABEL.sub("", body, count=1).strip()            # [label] ...
    body = re.sub(rf"[:\s]+{re.escape(label)}\s*\.?\s*$", ".", body)  # ... gives: label.
    return f"[{label}] {body}".strip()


def results_dir(api, assignment):
    return os.path.join(api.coursedir.root, "reports", assignment)


def known_assignments(api):
    """Names of the assignments in the gradebook and in the course's source folder."""
    names = set()
    with open_gradebook(api) as gb:
        names.update(a.name for a in gb.assignments)
    source = os.path.join(api.coursedir.root, api.coursedir.source_directory)
    if os.path.isdir(source):
        names.update(n for n in os.listdir(source) if os.path.isdir(os.path.join(source, n)) and not n.startswith("."))
    return sorted(names)


def graded_data(api, assignment):
    """:func:`collect` for an assignment that has been graded; a :class:`CourseError` that says what to do if not."""
    names = known_assignments(api)
    if assignment not in names:
        close = difflib.get_close_matches(assignment, names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else (f"; the course has {', '.join(names)}" if names else "")
        raise CourseError(f"no assignment '{assignment}'{hint}")
    with open_gradebook(api) as gb:
        graded = assignment in {a.name for a in gb.assignments} and bool(gb.assignment_submissions(assignment))
    if not graded:
        raise CourseError(f"{assignment} has not been graded yet: run `autograder grade {assignment}` first")
    return collect(api, assignment)


def collect(api, assignment):
    """Scores, outcomes and notes of every student of an assignment."""
    students = {}
    with open_gradebook(api) as gb:
        a = gb.find_assignment(assignment)
        maxes = {c.name: float(c.max_score) for nb in a.notebooks for c in nb.grade_cells}
        auto = {c.name for nb in a.notebooks for c in nb.grade_cells if c.cell_type == "code"}
        notebooks = [nb.name for nb in a.notebooks]
        for sub in gb.assignment_submissions(assignment):
            grades = {g.name: g for nb in sub.notebooks for g in nb.grades}
            students[sub.student.id] = {
                "scores": {gid: g.score for gid, g in grades.items()},
                "auto_total": sum(grades[gid].score for gid in auto if gid in grades),
                "total": float(sub.score), "needs_manual": bool(sub.needs_manual_grade),
                "items": {}, "notes": [], "tampering": {}, "status": "graded",
            }
    folder = os.path.join(api.coursedir.root, api.coursedir.autograded_directory)
    for student, info in students.items():
        for name in notebooks:
            path = os.path.join(folder, student, assignment, name + ".ipynb")
            if os.path.exists(path):
                for item in item_outcomes(nbformat.read(path, as_version=4)):
                    info["items"][item["grade_id"]] = item
        saved = os.path.join(results_dir(api, assignment), "students", student + ".json")
        if os.path.exists(saved):
            with open(saved) as fh:
                data = json.load(fh)
            info["notes"] = data.get("notes", [])
            info["tampering"] = data.get("tampering", {})
            info["review"] = data.get("review", [])
            info["status"] = data.get("status", "graded")
            info["sandbox"] = data.get("sandbox", {})
    return {"assignment": assignment, "max": maxes, "auto": sorted(auto, key=list(maxes).index),
            "students": students}


def summarize(data):
    students = data["students"]
    items = data["auto"]
    pass_rate = {}
    for gid in items:
        scored = [s["scores"].get(gid) for s in students.values() if s["scores"].get(gid) is not None]
        passed = [v for v in scored if v == data["max"][gid]]
        pass_rate[gid] = (len(passed) / len(scored)) if scored else 0.0
    who = defaultdict(set)
    where = defaultdict(Counter)
    for student, info in students.items():
        tampering = info["tampering"]
        if info.get("status") == "not gradable" or tampering.get("general"):
            continue  # a zero for tampering (or no gradable file): its failures diagnose nothing
        for gid, item in info["items"].items():
            if gid in tampering.get("items", {}):
                continue
            if item.get("diagnosis"):
                who[item["diagnosis"]].add(student)
                where[item["diagnosis"]][gid] += 1
    diagnoses = sorted(((label, len(names), dict(where[label])) for label, names in who.items()),
                       key=lambda t: (-t[1], t[0]))
    tampered = sorted(s for s, info in students.items()
                      if info["tampering"].get("general") or info["tampering"].get("items"))
    auto_max = sum(data["max"][g] for g in items)
    return {"pass_rate": pass_rate, "diagnoses": diagnoses, "tampered": tampered, "auto_max": auto_max,
            "scores": {s: info["auto_total"] for s, info in students.items()}}


def plot(data, summary, path):
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), gridspec_kw={"width_ratios": [1, 1.1, 1.4]})
    scores = list(summary["scores"].values())
    top = summary["auto_max"] or 1
    if top <= 30 and all(float(s).is_integer() for s in scores):  # one bar per whole point, centred on it
        bins, span = int(top) + 1, (-0.5, top + 0.5)
    else:
        bins, span = max(5, min(20, int(top) + 1)), (0, top)
    axes[0].hist(scores, bins=bins, range=span, color="#4c72b0", edgecolor="white")
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set(title=f"Auto-graded score ({len(scores)} students)", xlabel=f"points (of {top:g})",
                ylabel="students")
    gids = list(summary["pass_rate"])
    rates = [100 * summary["pass_rate"][g] for g in gids]
    axes[1].barh(gids[::-1], rates[::-1], color="#55a868", height=0.6)
    axes[1].set_ylim(-0.7, max(len(gids), 4) - 0.3)
    axes[1].set(title="Pass rate per item", xlabel="% of students with full points", xlim=(0, 100))
    for y, r in enumerate(rates[::-1]):
        axes[1].text(min(r + 1, 88), y, f"{r:.0f}%", va="center", fontsize=9)
    diag = summary["diagnoses"][:10]
    if diag:
        labels = [shorten(f"[{d[0]}]", 48) for d in diag][::-1]
        counts = [d[1] for d in diag][::-1]
        axes[2].barh(labels, counts, color="#c44e52", height=0.6)
        axes[2].set_ylim(-0.7, max(len(labels), 4) - 0.3)
        axes[2].set(title="Most frequent diagnoses", xlabel="students")
        axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        axes[2].text(0.5, 0.5, "no matcalc diagnoses", ha="center", va="center")
        axes[2].set_axis_off()
    fig.suptitle(f"{data['assignment']}: how the class did")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(api, assignment, log=print, data=None):
    """Write ``reports/ASSIGNMENT/report.png``, ``report.html`` and ``summary.json``; return the HTML path."""
    data = data or collect(api, assignment)
    summary = summarize(data)
    folder = results_dir(api, assignment)
    os.makedirs(folder, exist_ok=True)
    png = os.path.join(folder, "report.png")
    plot(data, summary, png)
    page = os.path.join(folder, "report.html")
    with open(page, "w", encoding="utf-8") as fh:
        fh.write(_html(data, summary))
    with open(os.path.join(folder, "summary.json"), "w") as fh:
        json.dump({"pass_rate": summary["pass_rate"], "scores": summary["scores"], "auto_max": summary["auto_max"],
                   "diagnoses": [{"label": d[0], "students": d[1], "items": d[2]} for d in summary["diagnoses"]],
                   "tampered": summary["tampered"]}, fh, indent=1)
    log(f"report: {page}")
    return page


def diagnosis_lines(summary, limit=8):
    return [f"[{label}]: {n} student{'s' if n != 1 else ''} ({', '.join(items)})"
            for label, n, items in summary["diagnoses"][:limit]]


def _html(data, summary):
    e = html.escape
    rows = []
    for student in sorted(data["students"]):
        info = data["students"][student]
        failed = [f"{e(gid)}: {e(shorten(describe(item), 200))}" for gid, item in info["items"].items()
                  if item["status"] in ("failed", "partial")]
        notes = info["notes"] + [f"tampering: {r}" for r in info["tampering"].get("general", [])]
        notes += [f"tampering ({gid}): {'; '.join(rs)}" for gid, rs in info["tampering"].get("items", {}).items()]
        notes += [f"to review: {words}" for words in info.get("review", [])]
        rows.append(f"<tr><td>{e(student)}</td><td>{info['auto_total']:g} / {summary['auto_max']:g}</td>"
                    f"<td>{'<br>'.join(failed)}</td><td>{'<br>'.join(e(n) for n in notes)}</td></tr>")
    items = "".join(f"<tr><td>{e(g)}</td><td>{data['max'][g]:g}</td><td>{100 * r:.0f}%</td></tr>"
                    for g, r in summary["pass_rate"].items())
    diag = "".join(f"<tr><td>[{e(label)}]</td><td>{n}</td><td>{e(', '.join(f'{k} ({v})' for k, v in where.items()))}</td></tr>"
                   for label, n, where in summary["diagnoses"])
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(data['assignment'])} report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}}</style></head><body>
<h1>{e(data['assignment'])}: how the class did</h1>
<p>{len(data['students'])} students; auto-graded items worth {summary['auto_max']:g} points
(written answers are graded in formgrader and are not included here).</p>
<img src="report.png" style="max-width:100%">
<h2>Pass rate per item</h2><table><tr><th>item</th><th>points</th><th>full points</th></tr>{items}</table>
<h2>Most frequent diagnoses</h2><table><tr><th>diagnosis</th><th>students</th><th>items</th></tr>{diag}</table>
<h2>Students</h2><table><tr><th>student</th><th>auto-graded</th><th>failed items</th><th>notes</th></tr>
{''.join(rows)}</table></body></html>"""


def table_lines(results, scores, maxes, width=150):
    """The summary table of a grading run: one line per student, notes shortened between words.

    ``results`` maps each student to their result (its file's contents, or an object with ``to_json``),
    ``scores`` to {grade id: score} (the gradebook's), ``maxes`` each grade id to its points.
    """
    results = {s: (r.to_json() if hasattr(r, "to_json") else r) for s, r in results.items()}
    auto = [g for g in maxes if any(r.get("items", {}).get(g, {}).get("status") not in (None, "manual")
                                    for r in results.values())] or list(maxes)
    total = sum(maxes[g] for g in auto)
    name_width = max([7] + [len(s) for s in results])
    lines = [f"{'student':<{name_width}}  {'auto':>9}  notes"]
    for student in sorted(results):
        r = results[student]
        got = sum((scores.get(student, {}).get(g) or 0) for g in auto)
        words = []
        tam = r.get("tampering") or {}
        if tam.get("general") or tam.get("items"):
            first = (tam.get("general") or [next(iter(tam["items"].values()))[0]])[0]
            words.append(f"TAMPERING: {first}")
        words += list(r.get("notes", []))[:2]
        failed = [f"{g} [{i['diagnosis']}]" if i.get("diagnosis") else f"{g} ({i.get('error') or 'failed'})"
                  for g, i in r.get("items", {}).items() if i.get("status") in ("failed", "partial")]
        if failed and not words:
            words.append("failed: " + ", ".join(failed))
        if r.get("status") == "error":
            words.insert(0, "ERROR")
        lines.append(f"{student:<{name_width}}  {got:>4g}/{total:<4g}  {shorten('; '.join(words), width)}")
    return lines


def print_table(api, assignment, results, log=print):
    """:func:`table_lines` for a run's results, with the scores and points from the gradebook."""
    from . import gradebook
    for line in table_lines(results, gradebook.scores(api, assignment), gradebook.max_scores(api, assignment)):
        log(line)
