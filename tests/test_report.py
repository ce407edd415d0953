"""The report command: a self-contained, escaped HTML page, its JSON data and Markdown module docs."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from qualitygate.site.markdown_docs import code, module_name, page_name
from qualitygate.store.cache import ENV_VAR

from .gitrepo import GitRepo, branchy, nested

PAYLOAD = "<img src=x onerror=alert(1)>"
TRACK = "[tool.qualitygate]\ntrack_history = true\n"
MODULE = '''\
"""Tools for <b>bold</b> parsing & friends."""
import os
import click


class Parser(Base, metaclass=Meta):
    """Parse `things` | pipes."""

    @property
    def name(self) -> str:
        """The name."""
        return "p"

    async def fetch(self, url: str, *, retries: int = 3) -> bytes:
        return b""


def run(x, y=2, *args, **kwargs):
    """Run it."""
    if x:
        for i in y:
            if i:
                return i
    return None
'''


@pytest.fixture(autouse=True)
def _no_shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")


@pytest.fixture
def xss_project(project) -> Path:
    """A folder named like markup, holding code whose names and docstrings look like markup too."""
    return project({
        "pyproject.toml": TRACK,
        f"{PAYLOAD}/mod.py": f'"""{PAYLOAD}"""\n\n\ndef f(x):\n    """<script>alert(2)</script>"""\n'
                             + branchy("g", 12).replace("def g", "def g_"),
        "pkg/parser.py": MODULE,
    })  # fmt: skip


def test_report_writes_html_data_and_docs(xss_project: Path, cli) -> None:
    result = cli("report", "-o", "out", cwd=xss_project)
    assert result.code == 0 and "metrics_report.html" in result.out
    out = xss_project / "out"
    data = json.loads((out / "metrics_data.json").read_text())
    assert set(data) >= {"summary", "history", "offenders", "recommendations", "files", "errors"}
    assert data["generated_at"] == "2027-01-15T08:00:00Z"  # SOURCE_DATE_EPOCH
    assert {f["path"] for f in data["files"]} == {f"{PAYLOAD}/mod.py", "pkg/parser.py"}
    assert data["offenders"][0]["qualname"] == "g_" and data["offenders"][0]["rules"] == ["QG001"]
    first = data["recommendations"][0]
    assert (first["symbol"], first["rules"]) == ("g_", ["QG001"])
    assert first["advice"][0].startswith("cyclomatic complexity 13 > 10")  # the advisor's text
    assert sorted(p.name for p in (out / "docs").iterdir()) == [
        "img_src_x_onerror_alert_1_.mod.md", "index.md", "pkg.parser.md"
    ]


def test_markdown_page_has_every_section(xss_project: Path, cli) -> None:
    cli("report", "-o", "out", cwd=xss_project)
    page = (xss_project / "out" / "docs" / "pkg.parser.md").read_text()
    assert page.startswith("# Module `pkg.parser`\n")
    assert "Tools for &lt;b&gt;bold&lt;/b&gt; parsing &amp; friends." in page  # overview, no raw HTML
    assert "## Code Quality Metrics" in page
    assert re.search(r"\| Maintainability index \| [\d.]+ \| (excellent|good|poor) \|", page)
    assert "| Halstead volume |" in page and "- third-party: `click`" in page
    assert "- standard library: `os`" in page
    assert "### `class Parser(Base, metaclass=Meta)`" in page
    assert "#### `def name(self) -> str`" in page and "decorated with `@property`" in page
    assert "#### `async def fetch(self, url: str, *, retries: int=3) -> bytes`" in page
    assert "### `def run(x, y=2, *args, **kwargs)`" in page and "Run it." in page
    run_metrics = page.split("### `def run(")[1]
    assert "| 4 | 6 |" in run_metrics  # cyclomatic 4, cognitive 6 for the nested ifs and loop
    assert page.index("## Classes") < page.index("## Functions")
    index = (xss_project / "out" / "docs" / "index.md").read_text()
    assert "[`pkg.parser`](pkg.parser.md)" in index


def test_markdown_helpers() -> None:
    assert module_name("src/pkg/__init__.py") == "pkg"
    assert module_name("pkg/sub/mod.py") == "pkg.sub.mod"
    taken: set[str] = set()
    assert [page_name("a.b", taken), page_name("a.b", taken)] == ["a.b.md", "a.b-2.md"]
    assert code("x`y") == "``x`y``" and code("a|b") == "`a\\|b`"


def test_html_escapes_everything_from_code_and_paths(xss_project: Path, cli) -> None:
    cli("report", "-o", "out", cwd=xss_project)
    page = (xss_project / "out" / "metrics_report.html").read_text()
    assert "<img" not in page and "<script>alert" not in page
    assert html.escape(PAYLOAD) in page
    assert page.count("<script>") == 1  # ours, the table sorter


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained(xss_project: Path, cli) -> None:
    cli("report", "-o", "out", cwd=xss_project)
    page = (xss_project / "out" / "metrics_report.html").read_text()
    parser = _Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"img", "link", "iframe", "object", "embed", "audio", "video", "source", "base"}
    loading = [(tag, attrs) for tag, attrs in parser.tags if set(attrs) & {"src", "href", "srcset", "action", "xlink:href"}]
    assert loading == []  # the sorter script is inline; charts are inline SVG
    assert "@import" not in page and "url(" not in page
    csp = next(a["content"] for t, a in parser.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp and "default-src 'none'" in csp  # and the browser itself refuses any request


def test_trends_come_from_history(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": nested("f", 2)})
    no_history = cli("report", "-o", "out", cwd=root)
    assert "No history yet" in (root / "out" / "metrics_report.html").read_text()
    assert no_history.code == 0
    for depth in (2, 3, 5):
        (root / "a.py").write_text(nested("f", depth))
        cli("check", cwd=root)
    cli("report", "-o", "out", cwd=root)
    page = (root / "out" / "metrics_report.html").read_text()
    assert page.count('<svg class="chart"') == 4 and page.count("<circle") == 4 * 3
    assert "Most-worsened functions" in page
    data = json.loads((root / "out" / "metrics_data.json").read_text())
    assert [run["cognitive_complexity"] for run in data["history"]["runs"]] == [3.0, 6.0, 15.0]
    assert data["files"][0]["maintainability_trend"][0] > data["files"][0]["maintainability_trend"][-1]


def test_report_into_an_unwritable_place_is_a_usage_error(project, cli) -> None:
    root = project({"a.py": "x = 1\n", "blocker": "a file"})
    result = cli("report", "-o", "blocker/out", cwd=root)
    assert result.code == 2 and "cannot write the report" in result.err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_in_a_real_browser_the_payload_is_text(xss_project: Path, cli, tmp_path: Path) -> None:
    for _ in range(2):
        cli("check", cwd=xss_project)  # two runs, so the page draws trend charts too
    cli("report", "-o", "out", cwd=xss_project)
    url = (xss_project / "out" / "metrics_report.html").as_uri()
    dom = _chromium("--dump-dom", "--virtual-time-budget=2000", url).stdout
    assert "qualitygate report" in dom
    assert "<img" not in dom.lower()  # no element was made from the folder name or the docstrings
    assert f"{html.escape(PAYLOAD, quote=False)}/<wbr>mod.py" in dom  # the path shows as text
    assert dom.count('<svg class="chart"') == 4
    assert 'aria-sort="descending"' not in dom  # nothing sorted before a click


# Runs in the outer page once the framed report has loaded, and writes what the report's layout
# came to onto the outer body: its scroll size, each chart's box, and any element that reaches
# past the right edge outside a sideways-scrolling table wrapper.
LAYOUT_PROBE = """<script>
var frame = document.getElementById("report");
frame.onload = function () {
  var doc = frame.contentDocument, root = doc.documentElement, edge = root.clientWidth + 0.5;
  function box(el) { var r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
  var outside = Array.prototype.filter.call(doc.querySelectorAll("body *"), function (el) {
    return !el.closest(".scroll") && el.getBoundingClientRect().right > edge;
  });
  document.body.setAttribute("data-layout", JSON.stringify({
    width: root.scrollWidth, height: root.scrollHeight,
    charts: Array.prototype.map.call(doc.querySelectorAll("svg.chart"), box),
    outside: outside.map(function (el) { return el.tagName + "." + el.getAttribute("class"); })
  }));
};
</script>"""


def _framed(report: Path, width: int, out: Path) -> Path:
    """The report in a frame exactly ``width`` px wide, with the layout probe. Headless Chromium
    never makes its window narrower than 500 px (a 390 px window lays the page out at 500 and
    crops the screenshot), so the frame, not the window, sets the width the page sees."""
    page = html.escape(report.read_text(encoding="utf-8"), quote=True)
    out.write_text(
        "<!DOCTYPE html><html><head><style>body { margin: 0; overflow: hidden }"
        " iframe { border: 0; display: block }</style></head>"
        f'<body><iframe id="report" width="{width}" height="2000" srcdoc="{page}"></iframe>'
        f"{LAYOUT_PROBE}</body></html>",
        encoding="utf-8",
    )
    return out


def _layout(page: Path, width: int) -> dict[str, Any]:
    dom = _chromium("--dump-dom", f"--window-size={width},2000", "--virtual-time-budget=3000", page.as_uri()).stdout
    found = re.search(r'<body data-layout="([^"]*)"', dom)
    assert found, dom[-2000:]
    layout: dict[str, Any] = json.loads(html.unescape(found[1]))
    return layout


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


DEEP = "src/a_package_with_a_long_name/and_a_subpackage/module_with_a_rather_long_name.py"


@pytest.fixture
def history_repo(tmp_path: Path, cli) -> tuple[Path, str]:
    """A git repository with three commits, each checked with history on: trends with commits,
    and 30 offenders in a deep path (the rows a phone used to wrap a letter or two per line)."""
    repo = GitRepo(tmp_path / "repo")
    for n in range(3):
        deep = "".join(branchy(f"handler_number_{i}", 6 + (i + n) % 10) for i in range(30))
        repo.write({"pyproject.toml": TRACK, "src/short.py": nested("f", 2 + n), DEEP: deep}).commit(f"c{n}")
        cli("check", cwd=repo.root)
    return repo.root, repo.git("rev-parse", "HEAD").strip()[:7]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_in_a_real_browser_the_page_fits_a_phone_and_a_desktop(history_repo, cli, tmp_path: Path) -> None:
    root, head = history_repo
    cli("report", "-o", "out", cwd=root)
    report = root / "out" / "metrics_report.html"
    dom = _chromium("--dump-dom", "--virtual-time-budget=2000", report.as_uri()).stdout
    assert re.search(rf"<tspan [^>]*>{head}</tspan>", dom)  # the x-axis names the last commit
    for width in (390, 1400):
        page = _framed(report, width, tmp_path / f"framed-{width}.html")
        shot = tmp_path / f"report-{width}.png"
        _chromium(f"--screenshot={shot}", f"--window-size={width},2000", "--virtual-time-budget=3000", page.as_uri())
        assert _png_size(shot) == (width, 2000) and shot.stat().st_size > 40_000  # drawn, not blank
        layout = _layout(page, width)
        assert layout["width"] <= width and layout["outside"] == []  # nothing runs off the side
        assert len(layout["charts"]) == 4 and all(right <= width for _, _, right, _ in layout["charts"])
        rows = len({round(top) for _, top, _, _ in layout["charts"]})
        assert rows == (4 if width == 390 else 2)  # stacked on a phone, two by two on a desktop
        # About 10,400 and 6,200 px today; the page that wrapped paths a letter at a time was 57,600 at 390.
        assert layout["height"] < (13_000 if width == 390 else 8_000), layout["height"]


def _page_requests(page: Path, log: Path) -> set[str]:
    """URLs the page itself asked for, from Chromium's network log (its own update checks and
    account probes carry the initiator "not an origin" and are left out)."""
    _chromium(f"--log-net-log={log}", "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    data = json.loads(log.read_text())
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    begins = [e["params"] for e in data["events"] if e["type"] == start and "url" in e.get("params", {})]
    return {params["url"] for params in begins if params.get("initiator") != "not an origin"}


class _Probe(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # the http.server API names it so
        self.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_in_a_real_browser_no_request_leaves_the_page(xss_project: Path, cli, tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # The control proves the method: a page that loads one image is seen doing so.
        control = tmp_path / "control.html"
        probe = f"http://127.0.0.1:{server.server_address[1]}/probe.png"
        control.write_text(f'<!DOCTYPE html><html><body><img src="{probe}"></body></html>')
        assert _page_requests(control, tmp_path / "control.json") == {probe}
        assert _Probe.hits == ["/probe.png"]
        cli("report", "-o", "out", cwd=xss_project)
        report = xss_project / "out" / "metrics_report.html"
        assert _page_requests(report, tmp_path / "report.json") == set()
        assert _Probe.hits == ["/probe.png"]
    finally:
        server.shutdown()
        server.server_close()


def test_report_shows_classes_and_coupling(project, cli) -> None:
    """Issue 15: a classes table per file, the class row in the Markdown docs, and a coupling
    section with modules by fan-in and each import cycle."""
    root = project({
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n\n\nclass Two:\n    def f(self):\n        return self.x\n\n"
                    "    def g(self):\n        return self.y\n",
        "pkg/b.py": "from pkg import a\n",
        "pkg/c.py": "from pkg import a\n",
    })  # fmt: skip
    assert cli("report", "-o", "out", cwd=root).code in (0, 1)
    data = json.loads((root / "out" / "metrics_data.json").read_text())
    entry = next(f for f in data["files"] if f["path"] == "pkg/a.py")
    assert [(c["qualname"], c["methods"], c["lcom4"]) for c in entry["classes"]] == [("Two", 2, 2)]
    modules = data["coupling"]["modules"]
    assert modules[0]["module"] == "pkg.a" and modules[0]["fan_in"] == 2  # most depended upon first
    assert data["coupling"]["cycles"] == [["pkg.a", "pkg.b"]]
    page = (root / "out" / "metrics_report.html").read_text()
    assert '<section id="coupling"><h2>Coupling</h2>' in page
    assert "pkg.<wbr>a -&gt; pkg.<wbr>b -&gt; pkg.<wbr>a" in page  # the cycle, closed
    assert "<h3>Classes</h3>" in page and ">LCOM4</th>" in page
    docs = (root / "out" / "docs" / "pkg.a.md").read_text()
    assert "| methods | WMC | lines | attributes | LCOM4 |" in docs and "| 2 | 2 | 6 | 0 | 2 |" in docs
