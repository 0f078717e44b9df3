"""``python -m deploy [TARGET]``: deploy the project to scrapyd, and fail loudly.

``scrapyd-deploy`` exits 0 even when scrapyd answers ``{"status": "error"}`` -- an
egg that imports a missing module, say -- and the broken version then becomes the
latest, so the next scheduled crawl runs it. This runs ``scrapyd-deploy``, reads
scrapyd's answer, and when the deploy failed (or the egg holds no ``board`` spider)
removes the broken version from scrapyd, so the last good one stays the latest,
and exits 1 with the reason.

Targets are the ``[deploy:NAME]`` sections of scrapy.cfg (and of
``~/.config/scrapy.cfg``); credentials come from the environment.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import requests
from scrapyd_client.utils import get_auth, get_config

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
    command = [str(Path(sys.executable).with_name("scrapyd-deploy")), name, "-v", version]
    proc = subprocess.run(command, capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    sys.stdout.write(proc.stdout)
    answer = scrapyd_answer(proc.stdout) or {}
    scrapyd = Scrapyd(target)
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
        if version in scrapyd.versions():
            scrapyd.delete_version(version)
            removed = f" The broken version {version} was removed from scrapyd."
    except requests.RequestException as error:
        removed = (
            f" Could not remove the broken version {version} ({error}); it is now the latest: "
            f"remove it with delversion.json before the next crawl."
        )
    print(f"deploy: FAILED to {scrapyd.url}: {problem}.{removed}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.split("\n")[0])
    parser.add_argument("target", nargs="?", default="local", help="deploy target in scrapy.cfg")
    parser.add_argument(
        "-v", "--version", help="version to deploy (default: milliseconds since the epoch)"
    )
    args = parser.parse_args(argv)
    return deploy(args.target, args.version or str(int(time.time() * 1000)))


if __name__ == "__main__":
    raise SystemExit(main())
