"""The explorer in a real JupyterLab, driven by the system's headless Chromium (Selenium).

Starts JupyterLab on a free local port (token auth, bound to 127.0.0.1) over a copy of
``notebooks/06_explorer.ipynb`` (so autosave never touches the committed notebook), runs all
cells, moves a latent slider and an ω slider, and checks that the player's source changed each
time and that no cell or render failed. Saves a screenshot of the panel to figures/explorer.png.

Skipped, with the reason, where Chromium, its driver or Selenium is missing; ``.ci/run`` installs
Chromium and sets ``CINR_REQUIRE_BROWSER=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "06_explorer.ipynb"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e .[dev])"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "no Chromium on PATH (apt install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "no chromedriver on PATH (apt install chromium-driver)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("CINR_REQUIRE_BROWSER"):
            pytest.fail(f"CINR_REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("lab")
    (work / "notebooks").mkdir()
    (work / "figures").mkdir()
    # A copy without outputs: "every cell has run" then means this session ran it.
    nb = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (work / "notebooks" / NOTEBOOK).write_text(json.dumps(nb))
    port, token = _free_port(), secrets.token_hex(16)
    log = open(work / "lab.log", "wb")
    # Fresh user settings: no "fetch Jupyter news?" toast over the panel.
    notification = work / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "config"),
           "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces")}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work / 'notebooks'}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers run as root
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; log:\n{(work / 'lab.log').read_text()}")
                time.sleep(0.5)
        # Without the token the server refuses: auth is on.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url}/api/contents", timeout=5)
        yield url, token, work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1500,1700"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, script: str, timeout: float, what: str, unlike=None):
    """Poll ``script`` until it returns something truthy (and other than ``unlike``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value and value != unlike:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


NOTEBOOK_JS = "const nb = window.jupyterapp.shell.currentWidget;"
DONE_JS = (
    NOTEBOOK_JS
    + """
const kernel = nb && nb.sessionContext.session && nb.sessionContext.session.kernel;
if (!kernel) return false;
const code = nb.content.widgets.filter(c => c.model.type === 'code');
const ran = code.every(c => c.model.executionCount !== null);
return kernel.status === 'idle' && code.length > 0 && ran;
"""
)
ERRORS_JS = (
    NOTEBOOK_JS
    + """
return nb.content.widgets.filter(c => c.model.type === 'code').flatMap(c => {
  const outs = c.model.outputs.toJSON();
  return outs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue);
});
"""
)
PLAYER_JS = """
const srcs = Array.from(document.querySelectorAll('.jp-OutputArea audio')).map(a => a.src);
const players = srcs.filter(s => s);  // the widget players; IPython's put theirs in <source>
return players.length ? players[0] : null;
"""
STATUS_JS = """
const els = Array.from(document.querySelectorAll('.jp-OutputArea .widget-html-content'));
const s = els.map(e => e.textContent).find(t => t.startsWith('rendered') || t.startsWith('error'));
return s || null;
"""


def _slider(driver, label: str):
    from selenium.webdriver.common.by import By

    for box in driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea .widget-slider"):
        if box.find_element(By.CSS_SELECTOR, ".widget-label").text.startswith(label):
            return box.find_element(By.CSS_SELECTOR, ".noUi-handle")
    raise AssertionError(f"no slider labelled {label!r} in the panel")


def _move(driver, label: str, before: str, pixels: int) -> str:
    from selenium.webdriver.common.action_chains import ActionChains

    handle = _slider(driver, label)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    ActionChains(driver).click_and_hold(handle).move_by_offset(pixels, 0).release().perform()
    return _wait(driver, PLAYER_JS, 30, f"the player to change after moving {label!r}", before)


def test_explorer_in_jupyterlab(lab, browser):
    from selenium.webdriver.common.by import By

    url, token, work = lab
    browser.get(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
    _wait(browser, NOTEBOOK_JS + "return nb && nb.content && nb.context.isReady;", 90,
          "the notebook to open")  # fmt: skip
    _wait(browser, NOTEBOOK_JS + "return nb.sessionContext.session && "
          "nb.sessionContext.session.kernel && nb.sessionContext.session.kernel.status === 'idle';",
          90, "the kernel to start")  # fmt: skip
    browser.execute_script(NOTEBOOK_JS + "window.jupyterapp.commands.execute("
                           "'notebook:run-all-cells'); return true;")  # fmt: skip
    _wait(browser, DONE_JS, 240, "all cells to run")
    assert browser.execute_script(ERRORS_JS) == []
    first = _wait(browser, PLAYER_JS, 60, "the panel's player")
    assert first.startswith(("blob:", "data:"))
    after_pc = _move(browser, "PC 1", first, 40)
    after_omega = _move(browser, "ω_hidden", after_pc, 40)
    assert len({first, after_pc, after_omega}) == 3
    status = _wait(browser, STATUS_JS, 30, "the panel's status line")
    assert status.startswith("rendered"), status
    assert browser.execute_script(ERRORS_JS) == []
    panel = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea .widget-vbox")[0]
    from cinr_lab import atomic

    atomic.write_bytes(ROOT / "figures" / "explorer.png", panel.screenshot_as_png)
