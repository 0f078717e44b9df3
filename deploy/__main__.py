"""``python -m deploy [TARGET]``: deploy the project to scrapyd, and fail loudly;
``python -m deploy status [TARGET]``: how the crawls scrapyd ran ended;
``python -m deploy schedule [TARGET] [-a NAME=VALUE ...] [-s NAME=VALUE ...]``: start a
crawl now (what cron runs: scrapyd has no scheduler of its own);
``python -m deploy serve [DIR]``: start scrapyd, only with credentials of your own.

``scrapyd-deploy`` exits 0 even when scrapyd answers ``{"status": "error"}`` -- an
egg that imports a missing module, say -- and the broken version then becomes the
latest, so the next scheduled crawl runs it. This runs ``scrapyd-deploy``, reads
scrapyd's answer, and when the deploy failed (or the egg holds no ``board`` spider)
removes the broken version from scrapyd, so the last good one stays the latest,
and exits 1 with the reason.

Before uploading, the credentials are tried on scrapyd's API: a refusal (401) or an
unreachable scrapyd is said as such, and nothing is uploaded.

scrapyd 1.6 shows no exit status: a banned or incomplete crawl looks finished like
a good one in ``listjobs.json``. ``status`` reads each finished job's log (through
scrapyd's own ``log_url``) for the verdict's JSON line the crawl wrote there, and
shows each board of the newest job.

``schedule`` calls scrapyd's ``schedule.json`` once, as its maintainers advise running
crawls on a timetable (cron calling the API), and exits 0 only when scrapyd answered
that the job is scheduled.

Targets are the ``[deploy:NAME]`` sections of scrapy.cfg (and of
``~/.config/scrapy.cfg``); credentials come from the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import requests
from scrapyd_client.utils import get_auth, get_config

from maoyan_common.verdict import last_verdict

SPIDER = "board"


def target_config(name: str) -> dict[str, str]:
    config = get_config()
    section = f"deploy:{name}"
    if not config.has_section(section):
        known = [s.removeprefix("deploy:") for s in config.sections() if s.startswith("deploy:")]
        raise SystemExit(f"deploy: no target {name!r} in scrapy.cfg (known: {', '.join(known)})")
    return dict(config.items(section))


def scrapyd_answer(stdout: str) -> dict | None:
    """The JSON object scrapyd answered, as scrapyd-deploy printed it."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


class Scrapyd:
    """Just the scrapyd API calls the deploy check needs."""

    def __init__(self, target: dict[str, str]) -> None:
        self.url = target["url"]
        self.project = target.get("project", "maoyan")
        self.auth = get_auth(self.url, target.get("username", ""), target.get("password", ""))

    def call(self, method: str, endpoint: str, **params: str) -> dict:
        params["project"] = self.project
        response = requests.request(
            method,
            urljoin(self.url + "/", endpoint),
            params=params if method == "GET" else None,
            data=params if method == "POST" else None,
            auth=self.auth,
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def log(self, log_url: str) -> str:
        response = requests.get(urljoin(self.url + "/", log_url), auth=self.auth, timeout=30)
        response.raise_for_status()
        return response.text

    def jobs(self) -> dict:
        return self.call("GET", "listjobs.json")

    def schedule(self, fields: list[tuple[str, str]]) -> dict:
        """POST ``schedule.json``; scrapyd's answer, an error's included."""
        response = requests.post(
            urljoin(self.url + "/", "schedule.json"),
            data=[("project", self.project), ("spider", SPIDER), *fields],
            auth=self.auth,
            timeout=30,
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 401 or not isinstance(answer, dict):
            response.raise_for_status()  # a refusal, a proxy's page: said by api_problem
            return {"status": "error", "message": f"HTTP {response.status_code}, no JSON answer"}
        return answer

    def versions(self) -> list[str]:
        return self.call("GET", "listversions.json").get("versions", [])

    def spiders(self, version: str) -> list[str]:
        return self.call("GET", "listspiders.json", _version=version).get("spiders", [])

    def delete_version(self, version: str) -> None:
        self.call("POST", "delversion.json", version=version)


def deploy(name: str, version: str) -> int:
    target = target_config(name)
    unset = [k for k in ("username", "password") if target.get(k, "").startswith("$")]
    if unset:
        print(
            f"deploy: target {name!r} takes its {' and '.join(unset)} from the environment, "
            f"which does not set {', '.join(target[k] for k in unset)}",
            file=sys.stderr,
        )
        return 1
    scrapyd = Scrapyd(target)
    try:
        before = scrapyd.versions()
    except requests.RequestException as error:
        print(f"deploy: FAILED to {scrapyd.url}: {api_problem(error)}; nothing was uploaded.",
              file=sys.stderr)  # fmt: skip
        return 1
    command = [str(Path(sys.executable).with_name("scrapyd-deploy")), name, "-v", version]
    proc = subprocess.run(command, capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    sys.stdout.write(proc.stdout)
    answer = scrapyd_answer(proc.stdout) or {}
    problem = None
    if proc.returncode != 0:
        problem = f"scrapyd-deploy exited with status {proc.returncode}"
    elif answer.get("status") != "ok":
        problem = (
            f"scrapyd answered {answer.get('status', 'nothing')!r}: "
            + str(answer.get("message", proc.stdout.strip() or "(no answer)")).strip()
        )
    else:
        try:
            spiders = scrapyd.spiders(version)
        except requests.RequestException as error:
            spiders, problem = [], f"could not list the new version's spiders: {error}"
        if problem is None and SPIDER not in spiders:
            problem = f"the egg holds no {SPIDER!r} spider (it holds {spiders})"
    if problem is None:
        print(f"deploy: OK: {scrapyd.project} version {version} is live on {scrapyd.url}")
        return 0
    removed = ""
    try:
        uploaded = version in scrapyd.versions() and version not in before
        if uploaded:
            scrapyd.delete_version(version)
            removed = f" The broken version {version} was removed from scrapyd."
        else:
            removed = f" Version {version} did not reach scrapyd; nothing changed there."
    except requests.RequestException as error:
        removed = (
            f" Could not check whether version {version} reached scrapyd ({api_problem(error)}):"
            f" look at listversions.json, and remove it with delversion.json if it is there."
        )
    print(f"deploy: FAILED to {scrapyd.url}: {problem}.{removed}", file=sys.stderr)
    return 1


def api_problem(error: requests.RequestException) -> str:
    """What went wrong with a scrapyd API call, said for a person."""
    response = getattr(error, "response", None)
    if response is not None and response.status_code == 401:
        return (
            "scrapyd refused the credentials (HTTP 401): check SCRAPYD_USERNAME and "
            "SCRAPYD_PASSWORD (or the target's username/password) against scrapyd's"
        )
    if isinstance(error, requests.ConnectionError):
        return f"cannot reach scrapyd ({type(error).__name__}): is it running at that address?"
    return f"scrapyd's API failed: {error}"


def job_outcome(log: str) -> tuple[bool, str]:
    """``(succeeded, what happened)`` from a crawl's log, as the crawl itself judged it:
    the verdict's JSON line the crawl writes before its last line (maoyan_common.verdict)."""
    verdict = last_verdict(log)
    if verdict is None and "Spider closed (" in log:
        return False, "UNKNOWN: the crawl closed without a verdict line (an older version?)"
    if verdict is None:
        return False, "the log has no end: the crawl was killed or is still running"
    reason = verdict.get("finish_reason", "?")
    if reason == "usage":
        return False, f"FAILED (usage): {verdict.get('why', '')}"
    ok = verdict.get("exit_status") == 0
    line = str(verdict.get("line", "")).split(" `scrapy crawl` exits")[0]
    return ok, f"{'OK' if ok else 'FAILED'} ({reason}): {line}"


def board_lines(log: str) -> list[str]:
    """Each board's own verdict, as the crawl's close-time lines say it."""
    verdict = last_verdict(log) or {}
    return [str(board.get("line", "")) for board in verdict.get("boards") or []]


def schedule(name: str, arguments: list[str], settings: list[str]) -> int:
    """Ask scrapyd to run the board spider now; exit 0 only if it says it will."""
    fields = []
    for option, values in (("-a", arguments), ("-s", settings)):
        for value in values:
            key, sep, given = value.partition("=")
            if not sep or not key.strip():
                print(f"deploy schedule: {option} {value!r}: give NAME=VALUE", file=sys.stderr)
                return 2
            fields.append(("setting", value) if option == "-s" else (key.strip(), given))
    scrapyd = Scrapyd(target_config(name))
    try:
        answer = scrapyd.schedule(fields)
    except requests.RequestException as error:
        print(f"deploy schedule: FAILED on {scrapyd.url}: {api_problem(error)}", file=sys.stderr)
        return 1
    if answer.get("status") != "ok" or not answer.get("jobid"):
        message = str(answer.get("message", answer)).strip()
        print(
            f"deploy schedule: FAILED on {scrapyd.url}: scrapyd answered "
            f"{answer.get('status', 'nothing')!r}: {message}",
            file=sys.stderr,
        )
        return 1
    told = " ".join(arguments) or "the defaults"
    print(
        f"deploy schedule: OK: job {answer['jobid']} of {scrapyd.project}/{SPIDER} ({told}) "
        f"scheduled on {scrapyd.url}; `python -m deploy status {name}` tells how it ended"
    )
    return 0


def status(name: str, limit: int) -> int:
    """Print the outcome of the last ``limit`` finished jobs; exit 1 if the newest failed."""
    scrapyd = Scrapyd(target_config(name))
    try:
        jobs = scrapyd.jobs()
    except requests.RequestException as error:
        print(f"deploy status: {scrapyd.url}: {api_problem(error)}", file=sys.stderr)
        return 1
    for state in ("pending", "running"):
        for job in jobs.get(state, []):
            print(f"{job['id']}  {job.get('spider', '')}  {state}")
    finished = sorted(jobs.get("finished", []), key=lambda job: job.get("end_time") or "")
    newest_ok = True
    shown = finished[-limit:]
    for number, job in enumerate(shown, start=1):
        log = ""
        try:
            log = scrapyd.log(job["log_url"])
            ok, outcome = job_outcome(log)
        except (KeyError, requests.RequestException) as error:
            ok, outcome = False, f"UNKNOWN: could not read the job's log ({error})"
        newest_ok = ok
        print(f"{job['id']}  {job.get('spider', '')}  ended {job.get('end_time', '?')}  {outcome}")
        if number == len(shown):  # the newest: each of its boards
            for line in board_lines(log):
                print(f"    {line}")
    if not finished:
        print(f"no finished job in project {scrapyd.project} on {scrapyd.url}")
    return 0 if newest_ok else 1


#: Passwords published in examples, docs/scrapyd.md's own included: never good enough.
EXAMPLE_PASSWORDS = {
    "change-me",
    "changeme",
    "password",
    "secret",
    "scrapyd",
    "a long secret of your own",
}
#: The project checkout: scrapyd started there would crawl with it, not with the egg.
CHECKOUT = Path(__file__).resolve().parents[1]


def serve(home: Path) -> int:
    """Run scrapyd in ``home`` (which holds scrapyd.conf), only with credentials set."""
    username = os.environ.get("SCRAPYD_USERNAME", "")
    password = os.environ.get("SCRAPYD_PASSWORD", "")
    problem = None
    if not username or not password:
        problem = "set SCRAPYD_USERNAME and SCRAPYD_PASSWORD: scrapyd runs code you upload"
    elif password.lower() in EXAMPLE_PASSWORDS or len(password) < 12:
        problem = "SCRAPYD_PASSWORD is an example or too short: use 12 characters or more"
    elif home.resolve() == CHECKOUT or (home / "scrapy.cfg").exists():
        problem = (
            f"{home} is a Scrapy project checkout: scrapyd run there crawls with the "
            "checkout, not the deployed egg; give it a folder of its own (~/scrapyd)"
        )
    elif not (home / "scrapyd.conf").is_file():
        problem = f"{home} holds no scrapyd.conf (copy the project's scrapyd.conf there)"
    if problem:
        print(f"deploy serve: not starting scrapyd: {problem}", file=sys.stderr)
        return 1
    scrapyd = shutil.which("scrapyd", path=str(Path(sys.executable).parent)) or "scrapyd"
    os.chdir(home)
    os.execv(scrapyd, [scrapyd])


def positive(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return number


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["status"]:
        parser = argparse.ArgumentParser(
            prog="python -m deploy status",
            description="How the crawls scrapyd finished ended, read from their logs; "
            "exit 1 when the newest failed.",
        )
        parser.add_argument("target", nargs="?", default="local", help="target in scrapy.cfg")
        parser.add_argument(
            "--jobs", type=positive, default=10, help="how many finished jobs (1 or more)"
        )
        args = parser.parse_args(argv[1:])
        return status(args.target, args.jobs)
    if argv[:1] == ["schedule"]:
        parser = argparse.ArgumentParser(
            prog="python -m deploy schedule",
            description="Start a board crawl on scrapyd now (once: run it from cron); exit 0 "
            "only when scrapyd answered that the job is scheduled.",
        )
        parser.add_argument("target", nargs="?", default="local", help="target in scrapy.cfg")
        parser.add_argument(
            "-a", dest="arguments", action="append", default=[], metavar="NAME=VALUE",
            help="spider argument, as for scrapy crawl (-a board=all -a source=all)",
        )  # fmt: skip
        parser.add_argument(
            "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
            help="Scrapy setting for this job",
        )  # fmt: skip
        args = parser.parse_args(argv[1:])
        return schedule(args.target, args.arguments, args.settings)
    if argv[:1] == ["serve"]:
        parser = argparse.ArgumentParser(
            prog="python -m deploy serve",
            description="Start scrapyd in DIR, refusing to without credentials of your own.",
        )
        parser.add_argument("home", nargs="?", type=Path, default=Path.home() / "scrapyd")
        return serve(parser.parse_args(argv[1:]).home)
    parser = argparse.ArgumentParser(
        prog="python -m deploy",
        description="Deploy the project to scrapyd (TARGET), and fail loudly.",
        epilog="Other commands: `python -m deploy status [TARGET] [--jobs N]` (how the "
        "crawls scrapyd ran ended; exit 1 when the newest failed), `python -m deploy "
        "schedule [TARGET] [-a NAME=VALUE ...]` (start a crawl now: what cron runs), "
        "`python -m deploy serve [DIR]` (start scrapyd in DIR, only with credentials of "
        "your own). Each takes --help.",
    )
    parser.add_argument("target", nargs="?", default="local", help="deploy target in scrapy.cfg")
    parser.add_argument(
        "-v", "--version", help="version to deploy (default: milliseconds since the epoch)"
    )
    args = parser.parse_args(argv)
    return deploy(args.target, args.version or str(int(time.time() * 1000)))


if __name__ == "__main__":
    raise SystemExit(main())
