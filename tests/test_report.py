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
from typing import ClassVar

import pytest

from qualitygate.site.markdown_docs import code, module_name, page_name
from qualitygate.store.cache import ENV_VAR

from .gitrepo import branchy, nested

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
    assert f"{html.escape(PAYLOAD, quote=False)}/mod.py" in dom  # the path shows as text
    assert dom.count('<svg class="chart"') == 4
    assert 'aria-sort="descending"' not in dom  # nothing sorted before a click
    shot = tmp_path / "report.png"
    _chromium(f"--screenshot={shot}", "--window-size=1400,2000", url)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000


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
