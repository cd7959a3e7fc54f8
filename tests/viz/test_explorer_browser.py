"""The explorer page in a real browser: headless Chromium (Debian's ``chromium``, as `make
system-deps` installs it) driven by Playwright. Skipped, with the reason, when Playwright or
a Chromium binary is missing; Playwright's own browser downloads are never used.

Run as a script to refresh the README's screenshot:
``.venv/bin/python -m tests.viz.test_explorer_browser docs/images/explorer.png``.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.viz.helpers import lecture_graph

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                        "google-chrome")) if p), None)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed "
                       "(pip install -e '.[test]' installs it)"),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary on PATH (Debian/Ubuntu: "
                       "apt-get install chromium, or `make system-deps` as root)"),
]


def _lecture_values() -> gf.viz.GraphValues:
    g, t = lecture_graph()
    return gf.viz.compute_values(g, {t["x"]: 1, t["y"]: 2, t["z"]: 0}, grad_of=t["f"])


def _window_classifier_module() -> Any:
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import window_classifier_graph as wc
    finally:
        sys.path.pop(0)
    return wc


class Page:
    """One page under test, recording console errors, page errors and network requests."""

    def __init__(self, browser: Any, path: Path, width: int = 1400, height: int = 820) -> None:
        self.problems: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("#graph [data-node], #graph [data-scope]")

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("file:") or url.startswith("data:"):
            route.continue_()
        else:
            self.problems.append(f"network request: {url}")
            route.abort()

    def text(self, selector: str) -> str:
        return self.page.text_content(selector) or ""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert sync_playwright is not None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def test_lecture_step_through(browser: Any, tmp_path: Path) -> None:
    page = Page(browser, Path(gf.viz.to_html(_lecture_values(), tmp_path / "lecture.html")))
    drawn = page.page.eval_on_selector_all("[data-node]", "els => els.map(e => e.dataset.node)")
    assert sorted(drawn) == ["a", "b", "f", "x", "y", "z"]
    seen = []
    for _ in range(12):  # 6 forward steps, then 6 backward steps
        page.page.click("#step-next")
        seen.append(page.text("#step-info"))
    assert page.page.is_disabled("#step-next")
    assert "Forward 6/6: f (Mul)" in seen[5] and "f = 6" in seen[5]
    # f's drawn node shows its value once the forward pass reached it
    assert "= 6" in page.text('[data-node="f"]')
    assert "Backward 1/6: f (Mul)" in seen[6] and "swaps its inputs" in seen[6]
    assert "routes the whole upstream gradient" in seen[8]
    finals = [re.search(r"final gradient: (d\w+/d\w+) = (.*)$", s) for s in seen[9:]]
    assert [(m.group(1), m.group(2)) for m in finals if m] == [
        ("df/dx", "2"), ("df/dy", "2 (from a) + 3 (from b) = 5"), ("df/dz", "0")]
    # the details panel follows the step; Back returns to the previous step
    assert page.text("#details").startswith("z")
    page.page.click("#step-back")
    assert "df/dy = 2 (from a) + 3 (from b) = 5" in page.text("#step-info")
    assert "\u2207 5" in page.text('[data-node="y"]')  # y's gradient is drawn on it
    page.page.click("#step-reset")
    assert "Next walks the forward pass" in page.text("#step-info")
    assert page.problems == []


def test_scopes_expand_and_nodes_show_details(browser: Any, tmp_path: Path) -> None:
    wc = _window_classifier_module()
    graph, loss = wc.window_classifier()
    with graph.as_default():
        gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    path = gf.viz.to_html(graph, tmp_path / "train.html", expanded=False)
    page = Page(browser, Path(path))
    assert page.page.locator('[data-node="hidden/h"]').count() == 0  # inside collapsed hidden
    page.page.click('.scope-node[data-scope="hidden"]')
    page.page.wait_for_selector('[data-node="hidden/h"]')
    assert page.page.locator('.cluster[data-scope="hidden"]').count() == 1
    page.page.click('[data-node="hidden/h"]')
    details = page.text("#details")
    assert details.startswith("hidden/h") and "Tanh" in details
    assert "(1, 3) float32" in details  # output shape and dtype
    assert "d tanh(x) = g * (1 - y^2)" in details  # the gradient rule's math
    assert "selected" in (page.page.get_attribute('[data-node="hidden/h"]', "class") or "")
    # collapse it again from the cluster's title
    page.page.click('.cluster[data-scope="hidden"] .cluster-title')
    page.page.wait_for_selector('.scope-node[data-scope="hidden"]')
    # search expands what it finds
    page.page.fill("#search", "hidden/W")
    page.page.wait_for_selector('[data-node="hidden/W"]')
    assert "match" in page.text("#search-count")
    page.page.press("#search", "Enter")
    assert page.text("#details").startswith("hidden/W") and "VariableV2" in page.text("#details")
    # every drawn node names a node of the graph; expand all draws every node once
    names = {op.name for op in graph.get_operations()}
    drawn = page.page.eval_on_selector_all("[data-node]", "els => els.map(e => e.dataset.node)")
    assert drawn and set(drawn) <= names
    page.page.click("#expand-all")
    page.page.wait_for_selector('[data-node="gradients/J_grad/RealDiv"]')
    drawn = page.page.eval_on_selector_all("[data-node]", "els => els.map(e => e.dataset.node)")
    listed = page.page.evaluate("window.graphflowExplorer.data.nodes.map(n => n.name)")
    assert sorted(drawn) == sorted(listed) and set(drawn) <= names
    assert page.page.locator(".scope-node").count() == 0
    assert page.problems == []


def test_window_classifier_values_step_through(browser: Any, tmp_path: Path) -> None:
    wc = _window_classifier_module()
    graph, loss = wc.window_classifier()
    values = gf.viz.compute_values(graph, {"window": np.arange(5)}, grad_of=loss)
    page = Page(browser, Path(gf.viz.to_html(values, tmp_path / "window.html")))
    total = len(page.page.evaluate("window.graphflowExplorer.data.steps"))
    assert total == 2 * 16 - 1  # every node forward; backward all but the int `window`
    for _ in range(total):
        page.page.click("#step-next")
    u = gf.viz.format_value(values.gradient("score/u/read"))
    texts = page.text("#step-info")
    assert "Backward" in texts and page.page.is_disabled("#step-next")
    page.page.fill("#search", "score/u")
    page.page.press("#search", "Enter")
    assert u.split(",")[0] in page.text("#details")  # the gradient of u, in the details
    assert page.problems == []


def test_empty_graph_page_has_no_errors(browser: Any, tmp_path: Path) -> None:
    path = Path(gf.viz.to_html(gf.Graph(), tmp_path / "empty.html"))
    problems: list[str] = []
    page = browser.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    page.click("#expand-all")
    page.click("#fit")
    page.fill("#search", "x")
    assert page.text_content("#search-count") == "0 matches"
    assert page.is_disabled("#step-next")
    assert problems == []


def screenshot(out: Path) -> Path:
    """The README's picture: the lecture example mid-way through the backward pass."""
    import tempfile

    assert sync_playwright is not None and CHROMIUM is not None
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = Page(b, Path(gf.viz.to_html(_lecture_values(), Path(tmp) / "lecture.html")),
                    width=1200, height=520)
        for _ in range(9):
            page.page.click("#step-next")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(out))
        b.close()
    return out


if __name__ == "__main__":
    print(f"wrote {screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else 'explorer.png'))}")
