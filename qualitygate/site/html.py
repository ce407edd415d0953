"""The HTML report: one self-contained page drawn from the report data; every value is escaped."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from typing import Any

from qualitygate.models import format_number
from qualitygate.site.svg import line_chart, sparkline

# The page may load nothing: no scripts, styles, fonts or images from anywhere (issue 5).
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bad: #b91c1c; --good: #15803d;
        --warn: #b45309; --bg2: #f9fafb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1280px; padding: 24px; overflow-wrap: break-word; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; color: #fff; font-weight: 600; }
.badge.pass { background: var(--good); } .badge.fail { background: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 140px), 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--bg2); }
.card b { display: block; font-size: 20px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: 16px; }
figure { margin: 0; min-width: 0; } figcaption { margin: 0 0 4px; }
svg { max-width: 100%; }
.chart { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
.charts + .scroll { margin-top: 16px; } h3 { font-size: 15px; margin: 20px 0 8px; }
.chart text { font-size: 12px; fill: var(--muted); } .chart .axis { stroke: #9ca3af; }
.chart .grid { stroke: var(--line); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code, .path { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: normal; }
table.sortable th { cursor: pointer; user-select: none; white-space: nowrap; }
table.sortable th.num { white-space: normal; min-width: 6ch; } /* two-word headers leave paths room */
table.sortable th[aria-sort=ascending]::after { content: " \\25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \\25BC"; }
.poor { color: var(--bad); font-weight: 600; } .good { color: var(--fg); } .excellent { color: var(--good); }
.better { color: var(--good); } .worse { color: var(--bad); }
details.file { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; }
details.file > summary { cursor: pointer; padding: 6px 10px; display: grid; gap: 12px; align-items: center;
                         grid-template-columns: 12px 1fr 170px 70px 90px 100px 124px; }
details.file > summary::before { content: "\\25B8"; color: var(--muted); }
details.file[open] > summary::before { content: "\\25BE"; }
details.file[open] > summary { border-bottom: 1px solid var(--line); background: var(--bg2); }
details.file .inner { padding: 8px 12px; }
ol.recs > li { margin: 6px 0; } ol.recs ul { margin: 2px 0; padding-left: 20px; }
input#filter { width: 100%; max-width: 420px; padding: 6px 8px; margin-bottom: 8px; }
@media (max-width: 720px) {
  body { padding: 12px; } h1 { font-size: 20px; } h2 { margin-top: 24px; }
  details.file > summary { display: flex; flex-wrap: wrap; gap: 2px 12px; align-items: baseline; }
  details.file > summary .path { flex: 1 1 calc(100% - 24px); }
  ol.recs { padding-left: 24px; }
}
"""

# Sorting by the data-value of each cell; numbers numerically, text by locale.
SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th) {
  th.tabIndex = 0;
  function sort() {
    var table = th.closest("table"), body = table.tBodies[0], index = th.cellIndex;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-value"), y = b.cells[index].getAttribute("data-value");
      var nx = parseFloat(x), ny = parseFloat(y);
      var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  th.addEventListener("click", sort);
  th.addEventListener("keydown", function (event) { if (event.key === "Enter") { sort(); } });
});
var filter = document.getElementById("filter");
if (filter) {
  filter.addEventListener("input", function () {
    var needle = filter.value.toLowerCase();
    document.querySelectorAll("details.file").forEach(function (item) {
      item.hidden = needle && item.getAttribute("data-path").toLowerCase().indexOf(needle) < 0;
    });
  });
}
"""


def e(value: object) -> str:
    """Escape anything for text and attribute positions (quotes included)."""
    return escape(str(value), quote=True)


def _code(value: object) -> str:
    """An escaped path that may break after each ``/``, or a dotted name after each ``.``: a
    narrow screen then wraps ``src/pkg/mod.py`` by its parts, not a letter or two per line."""
    text = e(value)
    return text.replace("/", "/<wbr>") if "/" in text else text.replace(".", ".<wbr>")


def _num(value: float) -> str:
    return format_number(round(float(value), 2))


def _date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M")


Column = tuple[str, str, Callable[[Mapping[str, Any]], object], bool]  # key, header, value, numeric


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], sortable: bool = True) -> str:
    head = "".join(f'<th class="{"num" if numeric else ""}" scope="col">{e(title)}</th>' for _, title, _, numeric in columns)
    body = []
    for row in rows:
        cells = []
        for _key, _title, value, numeric in columns:
            shown = value(row)
            text = _num(shown) if numeric and isinstance(shown, (int, float)) else str(shown)
            cls = "num" if numeric else "code"
            cells.append(f'<td class="{cls}" data-value="{e(shown)}">{e(text) if numeric else _code(text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    kind = ' class="sortable"' if sortable else ""
    return _scroll(f"<table{kind}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _scroll(table: str) -> str:
    """A table that scrolls sideways on its own when it is wider than the screen."""
    return f'<div class="scroll">{table}</div>'


def _header(data: Mapping[str, Any]) -> str:
    verdict = '<span class="badge pass">PASSED</span>' if data["passed"] else '<span class="badge fail">FAILED</span>'
    return (
        f"<header><h1>qualitygate report: {e(data['project'])}</h1>"
        f'<p class="muted">{verdict} generated {e(data["generated_at"])} by qualitygate '
        f"{e(data['tool_version'])}</p></header>"
    )


def _summary(data: Mapping[str, Any]) -> str:
    s = data["summary"]
    cards = [
        ("files", s["files"]), ("functions", s["functions"]), ("source lines", s["sloc"]),
        ("failing violations", s["violations"]), ("warnings", s["warnings"]),
        ("files not analysed", s["errors"]),
        ("avg maintainability", _num(s["average_maintainability_index"])),
        ("avg cyclomatic", _num(s["average_cyclomatic_complexity"])),
        ("avg cognitive", _num(s["average_cognitive_complexity"])),
    ]  # fmt: skip
    body = "".join(f'<div class="card"><b>{e(value)}</b><span class="muted">{e(label)}</span></div>' for label, value in cards)
    limits = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["thresholds"].items() if v is not None)
    return f'<section id="summary"><h2>Summary</h2><div class="cards">{body}</div><p class="muted">Thresholds: {e(limits)}</p></section>'


CHART_COLORS = ("#15803d", "#2563eb", "#7c3aed", "#b91c1c")


def _change(trend: Mapping[str, Any]) -> str:
    change = float(trend["change"])
    return f"{change:+g} {trend['direction']}" if change else "unchanged"


def _chart(trend: Mapping[str, Any], runs: Sequence[Mapping[str, Any]], color: str) -> str:
    title = f"{trend['label']}: {_num(trend['first'])} → {_num(trend['last'])}"
    values = [float(run[trend["metric"]]) for run in runs]
    when = [(run["created_at"], run.get("commit")) for run in runs]
    chart = line_chart(title, values, when, color, counts=bool(trend.get("count")))
    return (f'<figure><figcaption><b>{e(trend["label"])}</b> {e(_num(trend["first"]))} → '
            f'{e(_num(trend["last"]))} <span class="{e(trend["direction"])}">({e(_change(trend))})'
            f"</span></figcaption>{chart}</figure>")  # fmt: skip


def _trends(data: Mapping[str, Any]) -> str:
    history = data["history"]
    if not history or not history["runs"]:
        return ('<section id="trends"><h2>Trends</h2><p class="muted">No history yet: set '
                "<code>track_history = true</code> and every <code>qualitygate check</code> "
                "adds a point.</p></section>")  # fmt: skip
    runs = history["runs"]
    charts = "".join(
        _chart(trend, runs, color)
        for trend, color in zip(history["trends"], CHART_COLORS, strict=False)  # the first four
    )
    return (f'<section id="trends"><h2>Trends</h2><p class="muted">{len(runs)} runs from '
            f"{e(_date(runs[0]['created_at']))} to {e(_date(runs[-1]['created_at']))} (UTC)</p><div class=\"charts\">{charts}</div>"
            f"{_trend_table(history['trends'])}{_worsened(history['worsened'])}</section>")  # fmt: skip


def _trend_table(trends: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{e(t['label'])}</td><td class=\"num\">{e(_num(t['first']))}</td>"
        f"<td class=\"num\">{e(_num(t['last']))}</td><td class=\"num {e(t['direction'])}\">"
        f"{e(_change(t))}</td></tr>"
        for t in trends
    )
    return _scroll(f'<table><thead><tr><th>metric</th><th class="num">first</th><th class="num">last</th><th class="num">change</th></tr></thead><tbody>{rows}</tbody></table>')


WORSENED_COLUMNS: tuple[Column, ...] = (
    ("path", "file", lambda r: r["path"], False),
    ("qualname", "function", lambda r: r["qualname"], False),
    ("lineno", "line", lambda r: r["lineno"], True),
    ("cognitive", "cognitive before", lambda r: r["cognitive_before"], True),
    ("cognitive_after", "cognitive after", lambda r: r["cognitive_after"], True),
    ("cyclomatic", "cyclomatic before", lambda r: r["cyclomatic_before"], True),
    ("cyclomatic_after", "cyclomatic after", lambda r: r["cyclomatic_after"], True),
    ("worsening", "growth", lambda r: r["worsening"], True),
)


def _worsened(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return '<p class="muted">No function grew more complex between the first and the last run.</p>'
    return f"<h3>Most-worsened functions (first run → last run)</h3>{_table(rows, WORSENED_COLUMNS)}"


OFFENDER_COLUMNS: tuple[Column, ...] = (
    ("path", "file", lambda r: r["path"], False),
    ("qualname", "function", lambda r: r["qualname"], False),
    ("line", "line", lambda r: r["line"], True),
    ("cyclomatic_complexity", "cyclomatic", lambda r: r["cyclomatic_complexity"], True),
    ("cognitive_complexity", "cognitive", lambda r: r["cognitive_complexity"], True),
    ("maintainability_index", "MI", lambda r: r["maintainability_index"], True),
    ("length", "lines", lambda r: r["length"], True),
    ("parameters", "params", lambda r: r["parameters"], True),
    ("max_nesting", "nesting", lambda r: r["max_nesting"], True),
    ("rules", "violations", lambda r: " ".join(r["rules"]) or "-", False),
)


def _offenders(data: Mapping[str, Any]) -> str:
    rows = data["offenders"]
    if not rows:
        return ('<section id="offenders"><h2>Worst offenders</h2><p class="muted">No function is '
                "at even half of a complexity threshold.</p></section>")
    return (f'<section id="offenders"><h2>Worst offenders</h2><p class="muted">The {len(rows)} '
            "functions closest to or furthest past their complexity thresholds. Click a column "
            "to sort.</p>"
            f"{_table(rows, _with_coverage(OFFENDER_COLUMNS, rows))}</section>")  # fmt: skip


HOTSPOT_COLUMNS: tuple[Column, ...] = (
    ("path", "file", lambda r: r["path"], False),
    ("function", "function", lambda r: r["function"], False),
    ("line", "line", lambda r: r["line"], True),
    ("commits", "commits", lambda r: r["commits"], True),
    ("authors", "authors", lambda r: r["authors"], True),
    ("last_change", "last change", lambda r: r["last_change"], False),
    ("cognitive_complexity", "cognitive", lambda r: r["cognitive_complexity"], True),
    ("score", "score", lambda r: r["score"], True),
)


def _hotspots(data: Mapping[str, Any]) -> str:
    """Functions by commits × cognitive complexity (issue 14); no section outside git."""
    found = data.get("hotspots")
    if not found:
        return ""
    window = f"since {found['since']}" if found["since"] else "in the whole history"
    intro = (f"Functions ranked by commits {window} × cognitive complexity: complex code that "
             f"keeps changing. {found['commits']} commits changed Python files.")  # fmt: skip
    table = _table(found["hotspots"], HOTSPOT_COLUMNS) if found["hotspots"] else ""
    return f'<section id="hotspots"><h2>Hotspots</h2><p class="muted">{e(intro)}</p>{table}</section>'


def _prose(text: str) -> str:
    """Escaped text whose `backticked` names show as code (escaping first keeps it safe)."""
    return re.sub(r"`([^`<>]+)`", r"<code>\1</code>", e(text))


def _recommendation(step: Mapping[str, Any]) -> str:
    symbol = "" if step["symbol"] == step["path"] else f' <b>{e(step["symbol"])}</b>'
    pairs = zip(step["rules"], step["advice"], strict=True)
    advice = "".join(f"<li>[{e(rule)}] {_prose(text)}</li>" for rule, text in pairs)
    return f'<li><span class="path">{_code(step["path"])}:{e(step["line"])}</span>{symbol}<ul>{advice}</ul></li>'


def _recommendations(data: Mapping[str, Any]) -> str:
    steps = data["recommendations"]
    if steps:
        body = f'<ol class="recs">{"".join(_recommendation(step) for step in steps)}</ol>'
    else:
        body = '<p class="muted">Nothing to fix: no violations.</p>'
    return f'<section id="recommendations"><h2>Recommendations</h2>{body}</section>'


FUNCTION_COLUMNS: tuple[Column, ...] = OFFENDER_COLUMNS[1:9]
COVERAGE_COLUMNS: tuple[Column, ...] = (
    ("coverage", "line coverage %", lambda r: "-" if r["coverage"] is None else round(100 * r["coverage"], 2), True),
    ("crap", "CRAP", lambda r: "-" if r["crap"] is None else r["crap"], True),
)


def _with_coverage(columns: tuple[Column, ...], rows: Sequence[Mapping[str, Any]]) -> tuple[Column, ...]:
    """The line coverage and CRAP columns, when the run read a coverage file (issue 14)."""
    return (*columns, *COVERAGE_COLUMNS) if rows and "coverage" in rows[0] else columns


def _file_details(file: Mapping[str, Any]) -> str:
    deps = file["dependencies"]
    dep_text = "; ".join(f"{kind.replace('_', '-')}: {', '.join(names)}" for kind, names in deps.items() if names) or "none"
    violations = "".join(
        f"<li>line {e(v['line'])} {e(v['rule'])} {e('' if v['symbol'] == v['path'] else v['symbol'])}: "
        f"{e(v['message'])}</li>"
        for v in file["violations"]
    )
    functions = _table(file["functions"], _with_coverage(FUNCTION_COLUMNS, file["functions"])) if file["functions"] else '<p class="muted">No functions.</p>'
    functions += _classes(file)
    count = len(file["violations"])
    return (
        f'<details class="file" data-path="{e(file["path"])}"><summary>'
        f'<span class="path">{_code(file["path"])}</span>'
        f'<span class="{e(file["status"])}">MI {e(_num(file["maintainability_index"]))} ({e(file["status"])})</span>'
        f"<span>CC {e(file['cyclomatic_complexity'])}</span><span>{e(file['sloc'])} sloc</span>"
        f"<span>{count} violation{'s' if count != 1 else ''}</span>{sparkline(file['maintainability_trend'])}"
        f'</summary><div class="inner"><p>Halstead volume {e(_num(file["halstead_volume"]))}; '
        f"dependencies: {e(dep_text)}</p>{f'<ul>{violations}</ul>' if violations else ''}{functions}</div></details>"
    )


# Issue 15, docs/metrics.md "Classes": what each class holds and how cohesive it is.
CLASS_COLUMNS: tuple[Column, ...] = (
    ("qualname", "class", lambda r: r["qualname"], False),
    ("line", "line", lambda r: r["line"], True),
    ("methods", "methods", lambda r: r["methods"], True),
    ("wmc", "WMC", lambda r: r["wmc"], True),
    ("lines", "lines", lambda r: r["lines"], True),
    ("attributes", "attributes", lambda r: r["attributes"], True),
    ("lcom4", "LCOM4", lambda r: r["lcom4"], True),
)
COUPLING_COLUMNS: tuple[Column, ...] = (
    ("module", "module", lambda r: r["module"], False),
    ("fan_in", "fan-in", lambda r: r["fan_in"], True),
    ("fan_out", "fan-out", lambda r: r["fan_out"], True),
    ("instability", "instability", lambda r: r["instability"], True),
)


def _classes(file: Mapping[str, Any]) -> str:
    """A file's classes table; none in data written before classes (issue 15)."""
    classes = file.get("classes") or ()
    return f"<h3>Classes</h3>{_table(classes, CLASS_COLUMNS)}" if classes else ""


def _coupling(data: Mapping[str, Any]) -> str:
    """The local import graph (issue 15): modules by fan-in, then every import cycle."""
    found = data.get("coupling")
    if not found or not found["modules"]:
        return ""
    cycles = "".join(f"<li>{_code(' -> '.join([*cycle, cycle[0]]))}</li>" for cycle in found["cycles"])
    listed = f"<h3>Import cycles</h3><ul>{cycles}</ul>" if cycles else '<p class="muted">No import cycle.</p>'
    return ('<section id="coupling"><h2>Coupling</h2><p class="muted">Local modules by fan-in (the modules '
            "importing them); instability is fan-out / (fan-in + fan-out), after Robert C. Martin.</p>"
            f"{_table(found['modules'], COUPLING_COLUMNS)}{listed}</section>")  # fmt: skip


def _files(data: Mapping[str, Any]) -> str:
    items = "".join(_file_details(file) for file in data["files"])
    return (f'<section id="files"><h2>Files</h2><input id="filter" type="search" '
            f'placeholder="Filter by path" aria-label="Filter files by path">{items}</section>')  # fmt: skip


def _errors(data: Mapping[str, Any]) -> str:
    if not data["errors"]:
        return ""
    items = "".join(f"<li><span class=\"path\">{_code(x['path'])}</span>:{e(x['line'] or '')} {e(x['message'])}</li>" for x in data["errors"])
    return f'<section id="errors"><h2>Files not analysed</h2><ul>{items}</ul></section>'


def render(data: Mapping[str, Any]) -> str:
    """The whole page as one string."""
    sections = (_header, _summary, _trends, _offenders, _hotspots, _recommendations, _coupling, _files, _errors)
    body = "".join(section(data) for section in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>qualitygate report: {e(data['project'])}</title><style>{STYLE}</style></head>"
        f"<body>{body}<script>{SCRIPT}</script></body></html>\n"
    )
