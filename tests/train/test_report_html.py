"""``quadgait bench --sweep`` end to end on a tiny sweep, and its HTML report in a real headless browser (Debian's
chromium and chromium-driver, driven by selenium): the page opens, every image loads, no console errors."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
import yaml

from tests.train.test_training import TINY
from train.bench.scenarios import SCENARIOS, Scenario
from train.cli import main

pytest.importorskip("rliable")  # the optional `stats` extra

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory) -> Path:
    """A 2-seed sweep (128 steps each) and a trot, benchmarked on a 2 s scenario, 2 episodes per cell."""
    tmp = tmp_path_factory.mktemp("report")
    hp = tmp / "hp.yaml"
    hp.write_text(yaml.safe_dump({"quadgait/LaikagoWalk-v0": {**TINY, "eval_freq": 64}}))
    sweep = tmp / "tiny-walk"
    assert main(["sweep", "--seeds", "0", "1", "--timesteps", "256", "--out", str(sweep), "--hyperparams",
                 str(hp)]) == 0
    out = tmp / "bench"
    with pytest.MonkeyPatch.context() as patch:
        from train.bench import scenarios

        short = Scenario("flat-0.5", SCENARIOS["flat-0.5"].description, (0.5, 0.0, 0.0), 2.0)
        patch.setattr(scenarios, "SCENARIOS", {**scenarios.SCENARIOS, "flat-0.5": short})
        assert main(["bench", "--sweep", str(sweep), "--controller", "trot", "--scenario", "flat-0.5",
                     "--episodes", "2", "--out", str(out), "--no-progress", "--outside-range", "run",
                     "--bootstrap-reps", "200"]) == 0
    return out


def test_a_sweep_is_one_controller_with_intervals_over_its_seeds(bench_out):
    results = json.loads((bench_out / "results.json").read_text())
    cells = results["statistics"]["cells"]["flat-0.5"]
    learned, gait = cells["tiny-walk"]["tracking_error_xy_mps"], cells["trot"]["tracking_error_xy_mps"]
    assert (learned["n_runs"], learned["n_episodes"]) == (2, 2) and (gait["n_runs"], gait["n_episodes"]) == (1, 2)
    board = json.loads((bench_out / "leaderboard" / "tiny-walk.json").read_text())
    assert board["settings"]["training_seeds"] == [0, 1] and board["suite_version"] == results["suite_version"]
    assert board["cells"]["flat-0.5"]["tracking_error_xy_mps"] == learned
    curves = results["statistics"]["learning_curves"]["tiny-walk"]["mean_speed_mps"]
    lines = (bench_out.parent / "tiny-walk" / "seed-0" / "eval.csv").read_text().splitlines()[1:]
    assert curves["step"] == [float(line.split(",")[0]) for line in lines] and len(lines) >= 2
    assert {"learning_curves.png", "performance_profile.png", "footfall.png"} <= {p.name for p in bench_out.iterdir()}
    assert "| flat-0.5 | tiny-walk | 2 × 2 |" in (bench_out / "results.md").read_text()


def _driver():
    if not (Path(CHROMIUM).is_file() and Path(DRIVER).is_file()):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"no headless browser: {CHROMIUM} and {DRIVER} come with Debian's chromium and chromium-driver "
            "(.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)


def _check(driver, page: Path) -> tuple[int, list, list]:
    """(images, images that did not load, severe console messages) of ``page``."""
    driver.get(page.resolve().as_uri())
    images = driver.find_elements("tag name", "img")
    broken = [i.get_attribute("alt") for i in images
              if not driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)]
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return len(images), broken, errors


def test_report_opens_in_a_browser_with_every_image_and_no_errors(bench_out, tmp_path):
    driver = _driver()
    try:
        count, broken, errors = _check(driver, bench_out / "report.html")
        assert count == len(list(bench_out.glob("*.png"))) == 5 and broken == [] and errors == []
        assert "tiny-walk" in driver.find_element("tag name", "table").text
        assert "quadgait sweep" in driver.find_element("tag name", "body").text  # the exact commands
        # The check can fail: a page with a damaged image and a script error is caught.
        html = (bench_out / "report.html").read_text()
        damaged = tmp_path / "damaged.html"
        damaged.write_text(html.replace("base64,", "base64," + base64.b64encode(b"junk").decode(), 1)
                           .replace("</body>", "<script>undefined_function()</script></body>"))
        _, broken, errors = _check(driver, damaged)
        assert len(broken) == 1 and any("undefined_function" in e["message"] for e in errors)
    finally:
        driver.quit()
