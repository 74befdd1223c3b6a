"""The monitor's live console in a real browser: headless Chromium (Debian's chromium and
chromium-driver, driven with python3-selenium) opens the page of a real cluster, the replica the
gateways route to is killed (SIGKILL), and within 1 s the page shows it DOWN and every gateway's new
route, with the transitions in its log. A screenshot of the page is saved (its path is printed).

The cluster comes from the Python client's test fixtures (cluster_fixtures.py): its own temporary
folder, free loopback ports, always stopped. The page's address is what `jupiter console` prints.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import tomllib
from pathlib import Path

import pytest

from cluster_fixtures import fixtures
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

SCREENSHOT_DIR = Path(os.environ.get("JUPITER_SCREENSHOT_DIR") or (fixtures.BIN_DIR.parent / "test-artifacts"))
# The promise: a replica's death reaches the page within a second.
SHOWN_WITHIN_S = 1.0


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no chromium: apt-get install -y chromium chromium-driver python3-selenium")


def nodes_of(cluster, role: str) -> list:
    config = tomllib.loads((cluster.dir / "jupiter.toml").read_text())
    return [n for n in config["node"] if n["role"] == role]


def console_address(cluster) -> str:
    """What `jupiter console` prints: "monitor: http://HOST:PORT/"."""
    line = cluster.cli("console").stdout.strip()
    name, address = line.split(": ", 1)
    assert name == nodes_of(cluster, "monitor")[0]["name"]
    assert address == f"http://{nodes_of(cluster, 'monitor')[0]['console']}/"
    return address


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1500,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def page_state(driver) -> dict:
    """What the page shows: each node's state, each gateway's route, the events in its log."""
    return driver.execute_script("""
        const out = {nodes: {}, routes: {}, log: []};
        for (const r of document.querySelectorAll('#nodes tr[data-node]')) out.nodes[r.dataset.node] = r.dataset.state;
        for (const g of document.querySelectorAll('#routes [data-gateway]')) out.routes[g.dataset.gateway] = g.dataset.route;
        for (const l of document.querySelectorAll('#log li')) out.log.push([l.dataset.node, l.dataset.event]);
        out.live = document.getElementById('link').className === 'live';
        return out;""")


def wait_for(driver, what, check, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    shown = page_state(driver)
    while not check(shown):
        if time.monotonic() > deadline:
            raise AssertionError(f"the page did not show {what} within {timeout_s} s; it shows {shown}")
        time.sleep(0.02)
        shown = page_state(driver)
    return shown


@pytest.mark.timeout_s(150)
def test_the_console_shows_a_killed_replica_down_and_the_new_route_within_a_second(browser):
    with fixtures.own_cluster("jupiter-console-") as cluster:
        with cluster.client() as c:  # some traffic, so that the rates are not all zero
            product = c.send("product.create", code=f"P-{fixtures.unique()}", description="Pen", price=2.5)
            for _ in range(20):  # from a replica that has applied the product (read your writes)
                c.query("product.get", id=product["id"], min_seq=product["seq"])
        browser.get(console_address(cluster))
        gateways = {g["name"] for g in nodes_of(cluster, "gateway")}
        before = wait_for(browser, "every node UP and a route for each gateway",
                          lambda s: s["live"] and s["nodes"] and all(v == "UP" for v in s["nodes"].values())
                          and set(s["routes"]) == gateways and all(s["routes"].values()), 30)
        in_use = set(before["routes"].values())
        assert len(in_use) == 1, f"the gateways route to different replicas: {before['routes']}"
        victim = in_use.pop()
        pid = cluster.pids()[victim]

        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        after = wait_for(browser, f"{victim} DOWN and every route away from it",
                         lambda s: s["nodes"].get(victim) == "DOWN"
                         and all(r and r != victim for r in s["routes"].values()), SHOWN_WITHIN_S)
        shown_after = time.monotonic() - killed_at
        print(f"the page showed {victim} DOWN and the routes {after['routes']} {shown_after * 1000:.0f} ms after "
              f"the kill")
        assert [victim, "DOWN"] in after["log"], after["log"]
        assert any(event == "REROUTE" for _, event in after["log"]), after["log"]

        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOT_DIR / "console-after-kill.png"
        assert browser.save_screenshot(str(shot)), f"no screenshot written to {shot}"
        print(f"screenshot: {shot}")
