"""Deployment, proven against a real scrapyd on 127.0.0.1 (auth on), not a mock.

scrapyd runs from a temporary folder, so the jobs run the deployed egg, never the
checkout; it is stopped by pid at the end.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from postprocess.run import run as postprocess_run
from standin.films import BOARDS
from tests.helpers import REPO, clean_env, expected_entries, free_port, wait_for, without_time

#: A password of the run's own: one shown in code would be an example (deploy serve refuses).
USER, PASSWORD = "crawler", secrets.token_urlsafe(16)
BIN = Path(sys.executable).parent


@dataclass
class Scrapyd:
    url: str
    home: Path
    env: dict[str, str]

    def get(self, endpoint: str, **params: str) -> dict:
        answer = requests.get(
            f"{self.url}/{endpoint}", params=params, auth=(USER, PASSWORD), timeout=10
        )
        return answer.json()

    def post(self, endpoint: str, data: list[tuple[str, str]]) -> dict:
        answer = requests.post(
            f"{self.url}/{endpoint}", data=data, auth=(USER, PASSWORD), timeout=10
        )
        return answer.json()

    def deploy(self, project_dir: Path = REPO, version: str | None = None):
        command = [sys.executable, "-m", "deploy", "test"] + (["-v", version] if version else [])
        env = {**self.env, "PYTHONPATH": str(REPO)}
        return subprocess.run(
            command, cwd=project_dir, env=env, capture_output=True, text=True, timeout=60
        )

    def run_job(self, site_url: str, *extra: tuple[str, str]) -> dict:
        """Schedule ``board`` against a stand-in site and wait (bounded) for it to finish."""
        settings = [
            f"MAOYAN_BASE_URL={site_url}",
            f"MAOYAN_MOBILE_BASE_URL={site_url}",
            f"MAOYAN_MOBILE_API_URL={site_url}",
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_START_DELAY=0",
            "MAOYAN_BAN_BACKOFF=0.05",
        ]
        data = [("project", "maoyan"), ("spider", "board"), *extra]
        data += [("setting", setting) for setting in settings]
        answer = self.post("schedule.json", data)
        assert answer["status"] == "ok", answer
        job = answer["jobid"]

        def finished() -> dict | None:
            jobs = self.get("listjobs.json", project="maoyan")["finished"]
            return next((done for done in jobs if done["id"] == job), None)

        return wait_for(finished, 40, f"job {job} to finish", every=0.2)

    def items(self, job: dict, incomplete: bool = False) -> list[dict]:
        """A job's films: ``<job>.jl``, or an incomplete job's ``<job>.incomplete.jl``."""
        name = f"{job['id']}.incomplete.jl" if incomplete else f"{job['id']}.jl"
        path = self.home / "items" / "maoyan" / "board" / name
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def log(self, job: dict) -> str:
        return (self.home / "logs" / "maoyan" / "board" / f"{job['id']}.log").read_text()


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory) -> Iterator[Scrapyd]:
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    config = (REPO / "scrapyd.conf").read_text()
    config = config.replace("http_port = 6800", f"http_port = {port}")
    config = config.replace("poll_interval = 5.0", "poll_interval = 0.2")
    config = config.replace("max_proc = 1", "max_proc = 2")
    (home / "scrapyd.conf").write_text(config)
    # The deploy target, where users keep theirs: a user-level scrapy.cfg.
    xdg = home / "xdg"
    xdg.mkdir()
    (xdg / "scrapy.cfg").write_text(
        f"[deploy:test]\nurl = http://127.0.0.1:{port}\nproject = maoyan\n"
        "username = $SCRAPYD_USERNAME\npassword = $SCRAPYD_PASSWORD\n"
    )
    env = {
        **clean_env(),
        "SCRAPYD_USERNAME": USER,
        "SCRAPYD_PASSWORD": PASSWORD,
        "XDG_CONFIG_HOME": str(xdg),
    }
    with (home / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen(  # as docs/scrapyd.md starts it: through the launcher
            [sys.executable, "-m", "deploy", "serve", str(home)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Scrapyd(f"http://127.0.0.1:{port}", home, env)

    def answering() -> bool:
        assert process.poll() is None, (home / "scrapyd.out").read_text()
        try:
            requests.get(f"{server.url}/daemonstatus.json", timeout=1)
        except requests.ConnectionError:
            return False
        return True

    try:
        wait_for(answering, 20, "scrapyd to answer", every=0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def deployed(scrapyd) -> str:
    proc = scrapyd.deploy()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "deploy: OK" in proc.stdout
    versions = scrapyd.get("listversions.json", project="maoyan")["versions"]
    assert len(versions) == 1
    return versions[0]


def test_scrapyd_requires_credentials(scrapyd) -> None:
    answer = requests.get(f"{scrapyd.url}/daemonstatus.json", timeout=5)
    assert answer.status_code == 401


def test_egg_holds_the_project_only(scrapyd, deployed) -> None:
    assert scrapyd.get("listspiders.json", project="maoyan")["spiders"] == ["board"]
    eggs = list((scrapyd.home / "eggs" / "maoyan").glob("*.egg"))
    assert len(eggs) == 1
    import zipfile

    top = {name.split("/")[0] for name in zipfile.ZipFile(eggs[0]).namelist()}
    assert top == {"maoyan", "maoyan_common", "EGG-INFO"}


def test_job_collects_the_board_into_items_dir(scrapyd, deployed, standin, tmp_path) -> None:
    site = standin()
    job = scrapyd.run_job(site.url)
    assert without_time(scrapyd.items(job)) == expected_entries(site.url)
    log = scrapyd.log(job)
    assert "] ERROR:" not in log
    assert "Board complete: all 100 films collected." in log
    # The items file is a feed the post-process stage reads as it is.
    items_file = scrapyd.home / "items" / "maoyan" / "board" / f"{job['id']}.jl"
    summary = postprocess_run(
        [str(items_file)], tmp_path / "t.csv", workers=1, rejects=tmp_path / "r.jsonl"
    )
    assert (summary.written, summary.rejected) == (100, 0)


def test_spider_arguments_pass_through(scrapyd, deployed, standin) -> None:
    site = standin()
    job = scrapyd.run_job(site.url, ("board", "7"))
    assert without_time(scrapyd.items(job)) == expected_entries(site.url, board_id=7)


def test_mobile_source_job(scrapyd, deployed, standin) -> None:
    site = standin()
    job = scrapyd.run_job(site.url, ("source", "mobile"), ("board", "most-expected"))
    items = scrapyd.items(job)
    assert [item["movie_id"] for item in items] == [film.movie_id for film in BOARDS[6]]
    assert {item["source"] for item in items} == {"mobile"}
    assert (items[0]["wish_month"], items[0]["wish_total"]) == (67913, 127877)
    log = scrapyd.log(job)
    assert "took 2 request(s): 1 board page(s) and 1 JSON answer(s)" in log
    assert "Board complete: all 50 films collected." in log


def test_banned_job_shows_the_ban(scrapyd, deployed, standin) -> None:
    site = standin(ban_after=3, ban_kind="verify")
    job = scrapyd.run_job(site.url)
    # Its films, named as incomplete: a post-process over the jobs' <id>.jl never reads them.
    assert without_time(scrapyd.items(job, incomplete=True)) == expected_entries(site.url)[:30]
    assert not (scrapyd.home / "items" / "maoyan" / "board" / f"{job['id']}.jl").exists()
    log = scrapyd.log(job)
    assert "Banned by Maoyan" in log
    assert "Spider closed (banned)" in log


def test_broken_egg_fails_loudly_and_is_removed(scrapyd, deployed, tmp_path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(
        REPO / "maoyan", broken / "maoyan", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "setup.py", broken)
    shutil.copy(REPO / "scrapy.cfg", broken)
    settings = broken / "maoyan" / "settings.py"
    settings.write_text(settings.read_text() + "\nimport maoyan_module_that_does_not_exist\n")

    proc = scrapyd.deploy(project_dir=broken, version="9999999999999")
    assert proc.returncode == 1
    assert "deploy: FAILED" in proc.stderr
    assert "maoyan_module_that_does_not_exist" in proc.stderr + proc.stdout
    assert "The broken version 9999999999999 was removed" in proc.stderr
    # The good version is still the latest, and still runs.
    assert scrapyd.get("listversions.json", project="maoyan")["versions"] == [deployed]
    assert scrapyd.get("listspiders.json", project="maoyan")["spiders"] == ["board"]


def test_wrong_password_is_said_and_nothing_uploaded(scrapyd, deployed) -> None:
    wrong = Scrapyd(scrapyd.url, scrapyd.home, {**scrapyd.env, "SCRAPYD_PASSWORD": "not-it"})
    proc = wrong.deploy(version="8888888888888")
    assert proc.returncode == 1
    assert "scrapyd refused the credentials (HTTP 401)" in proc.stderr
    assert "nothing was uploaded" in proc.stderr
    assert "latest" not in proc.stderr + proc.stdout
    assert scrapyd.get("listversions.json", project="maoyan")["versions"] == [deployed]


def deploy_status(scrapyd: Scrapyd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deploy", "status", "test", "--jobs", "100"],
        cwd=REPO, env={**scrapyd.env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_status_tells_a_failed_crawl_from_a_good_one(scrapyd, deployed, standin) -> None:
    good = scrapyd.run_job(standin().url)
    proc = deploy_status(scrapyd)
    assert proc.returncode == 0, proc.stderr
    [line] = [line for line in proc.stdout.splitlines() if line.startswith(good["id"])]
    assert line.endswith("OK (finished): Board complete: all 100 films collected.")

    banned = scrapyd.run_job(standin(ban_after=3, ban_kind="verify").url)
    proc = deploy_status(scrapyd)
    assert proc.returncode == 1  # the newest job failed
    [line] = [line for line in proc.stdout.splitlines() if line.startswith(banned["id"])]
    assert (
        "FAILED (banned): Board incomplete: the crawl was stopped by a ban with 30 of 100" in line
    )


def deploy_serve(home: Path, password: str) -> subprocess.CompletedProcess:
    env = {**without_credentials(), "SCRAPYD_USERNAME": "crawler", "SCRAPYD_PASSWORD": password}
    return subprocess.run(
        [sys.executable, "-m", "deploy", "serve", str(home)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def without_credentials() -> dict[str, str]:
    return {k: v for k, v in clean_env().items() if not k.startswith("SCRAPYD_")}


def test_the_shipped_configuration_needs_credentials_of_your_own(tmp_path) -> None:
    config = (REPO / "scrapyd.conf").read_text()
    assert "change-me" not in config
    (tmp_path / "scrapyd.conf").write_text(config.replace("6800", str(free_port())))
    bare = subprocess.run(
        [str(BIN / "scrapyd")], cwd=tmp_path, env=without_credentials(),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bare.returncode != 0
    assert "illegal character ':'" in bare.stdout + bare.stderr
    for password in ("", "change-me", "short", "a long secret of your own"):
        served = deploy_serve(tmp_path, password)
        assert served.returncode == 1
        assert served.stderr.startswith("deploy serve: not starting scrapyd: ")


def test_a_job_with_a_wrong_argument_says_so_in_its_log(scrapyd, deployed, standin) -> None:
    site = standin()
    job = scrapyd.run_job(site.url, ("board", ""))  # an unset variable in a cron line
    log = scrapyd.log(job)
    [line] = [line for line in log.splitlines() if "] ERROR: " in line]
    assert line.endswith(
        "scrapy crawl board: error: board= is empty (an unset variable?): give a value, or "
        "leave -a board out for the default (top100)"
    )
    assert site.log.snapshot() == []  # nothing was requested
    proc = deploy_status(scrapyd)
    assert proc.returncode == 1  # the newest job failed
    [status] = [line for line in proc.stdout.splitlines() if line.startswith(job["id"])]
    assert status.endswith("FAILED (usage): board= is empty (an unset variable?): give a value, "
                           "or leave -a board out for the default (top100)")  # fmt: skip


def test_deploy_serve_refuses_the_checkout_and_status_a_wrong_count() -> None:
    served = deploy_serve(REPO, PASSWORD)
    assert served.returncode == 1
    assert served.stderr.startswith(
        f"deploy serve: not starting scrapyd: {REPO} is a Scrapy project checkout: scrapyd "
        "run there crawls with the checkout, not the deployed egg"
    )
    helped = subprocess.run(
        [sys.executable, "-m", "deploy", "--help"], cwd=REPO, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert helped.returncode == 0
    text = " ".join(helped.stdout.split())
    assert "python -m deploy status [TARGET] [--jobs N]" in text
    assert "python -m deploy serve [DIR]" in text
    wrong = subprocess.run(
        [sys.executable, "-m", "deploy", "status", "--jobs", "-1"], cwd=REPO,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert wrong.returncode == 2
    assert "argument --jobs: '-1' is not a whole number of 1 or more" in wrong.stderr


def deploy_schedule(scrapyd: Scrapyd, *args: str, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "deploy", "schedule", *args],
        cwd=REPO, env={**scrapyd.env, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_schedule_runs_every_board_in_one_job_and_status_shows_each(
    scrapyd, deployed, standin
) -> None:
    """What the daily cron line runs: one job, every board of both sources; `deploy
    status` then names each board of the newest job."""
    site = standin()
    roots = ("MAOYAN_BASE_URL", "MAOYAN_MOBILE_BASE_URL", "MAOYAN_MOBILE_API_URL")
    settings = [f"{name}={site.url}" for name in roots]
    settings += ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_START_DELAY=0"]
    proc = deploy_schedule(
        scrapyd, "test", "-a", "board=all", "-a", "source=all",
        *(option for setting in settings for option in ("-s", setting)),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (job,) = re.findall(r"deploy schedule: OK: job (\w+) of maoyan/board", proc.stdout)

    def finished() -> dict | None:
        jobs = scrapyd.get("listjobs.json", project="maoyan")["finished"]
        return next((done for done in jobs if done["id"] == job), None)

    done = wait_for(finished, 60, f"job {job} to finish", every=0.2)
    assert len(scrapyd.items(done)) == 350
    status = deploy_status(scrapyd)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    at = next(number for number, line in enumerate(lines) if line.startswith(job))
    assert lines[at].endswith("OK (finished): Boards complete: all 9 boards, 350 films collected.")
    assert lines[at + 1 :] == [
        "    desktop top100: 100 of 100 films, 11 request(s): complete",
        "    desktop hot: 10 of 10 films, 1 request(s): complete",
        "    desktop most-expected: 50 of 50 films, 5 request(s): complete",
        "    desktop box-office: 10 of 10 films, 1 request(s): complete",
        "    desktop north-america: 10 of 10 films, 1 request(s): complete",
        "    mobile top100: 100 of 100 films, 3 request(s): complete",
        "    mobile most-expected: 50 of 50 films, 2 request(s): complete",
        "    mobile weekly-box-office: 10 of 10 films, 1 request(s): complete",
        "    mobile ticket-score: 10 of 10 films, 1 request(s): complete",
    ]


def test_schedule_exits_true_to_what_scrapyd_answered(scrapyd, deployed, tmp_path) -> None:
    refused = deploy_schedule(scrapyd, "test", env={"SCRAPYD_PASSWORD": "not-the-password"})
    assert refused.returncode == 1
    assert "scrapyd refused the credentials (HTTP 401)" in refused.stderr
    # A project scrapyd does not have: scrapyd answers an error, and nothing runs.
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    config = (Path(scrapyd.env["XDG_CONFIG_HOME"]) / "scrapy.cfg").read_text()
    (xdg / "scrapy.cfg").write_text(config.replace("project = maoyan", "project = nothing"))
    unknown = deploy_schedule(scrapyd, "test", env={"XDG_CONFIG_HOME": str(xdg)})
    assert unknown.returncode == 1
    assert "deploy schedule: FAILED on http://127.0.0.1:" in unknown.stderr
    assert "scrapyd answered 'error'" in unknown.stderr
    malformed = deploy_schedule(scrapyd, "test", "-a", "board")
    assert malformed.returncode == 2 and "-a 'board': give NAME=VALUE" in malformed.stderr
