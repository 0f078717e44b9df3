"""Crawl-engine benchmark: pages/s and items/s over a local stand-in of 2,000 pages.

    python -m bench.crawl [--pages 2000] [--rounds 3]

The stand-in runs in its own process on 127.0.0.1 (pages pre-rendered, so it is not
the bottleneck); its ceiling is measured first with keep-alive clients in two
processes. Then, interleaved round by round: the project's spider with politeness
switched off by settings (no delay, no AutoThrottle, 16 requests at a time), and the
seed's design (requests + BeautifulSoup + a Pool mapping fetch-and-parse over the
offsets). Before any time is reported, the project must return every film, and the
seed nothing the project did not (the seed loses films: they are counted).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import Pool
from pathlib import Path

from bench.common import markdown_table, median, save
from bench.seed import seed_crawl

REPO = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))
UNLEASHED = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    # Scrapy's default: answers are read while the next requests are fetched (the
    # project's 1000 keeps a crawl of several boards in order, one answer at a time).
    "SCRAPER_SLOT_MAX_ACTIVE_SIZE": "5000000",
    "RETRY_BACKOFF_BASE": "0",
    "LOG_LEVEL": "INFO",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_site(pages: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "standin",
        "serve",
        "--port",
        str(port),
        "--top100-size",
        str(pages * 10),
        # The engines are measured, not today's gatekeeping: the seed's design (and the
        # ceiling's bare clients) predate the browser-UA check and the cookie handshake.
        "--site-of-old",
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the stand-in site did not start")


def _hammer(args: tuple[str, int, int, int]) -> int:
    url, pages, requests_each, threads = args
    host, port = url.removeprefix("http://").split(":")
    done = []

    def worker(seed: int) -> None:
        connection = http.client.HTTPConnection(host, int(port))
        for i in range(requests_each):
            connection.request("GET", f"/board/4?offset={((seed * 7919 + i) % pages) * 10}")
            connection.getresponse().read()
        done.append(requests_each)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sum(done)


def server_ceiling(url: str, pages: int, total: int = 4000) -> float:
    """Pages/s the stand-in serves to keep-alive clients in two processes."""
    with Pool(2) as pool:
        pool.map(_hammer, [(url, pages, pages // 8 or 1, 4)] * 2)  # warm the page cache
        started = time.perf_counter()
        served = sum(pool.map(_hammer, [(url, pages, total // 8, 4)] * 2))
    return served / (time.perf_counter() - started)


def project_crawl(url: str, pages: int) -> tuple[float, list[tuple[int, str]], float]:
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed.jsonl"
        command = [
            SCRAPY,
            "crawl",
            "board",
            "-a",
            f"pages={pages}",
            "-s",
            f"MAOYAN_TOP100_PAGES={pages}",
            "-O",
            str(feed),
            "-s",
            f"MAOYAN_BASE_URL={url}",
        ]
        for name, value in UNLEASHED.items():
            command += ["-s", f"{name}={value}"]
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"the project's crawl failed:\n{proc.stderr[-3000:]}")
        elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", proc.stderr).group(1))
        items = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    return wall, sorted((item["rank"], item["title"]) for item in items), elapsed


def seed_run(url: str, pages: int) -> tuple[float, list[tuple[int, str]]]:
    urls = [f"{url}/board/4?offset={offset * 10}" for offset in range(pages)]
    started = time.perf_counter()
    entries = seed_crawl(urls)
    wall = time.perf_counter() - started
    return wall, sorted((int(entry["index"]), entry["title"]) for entry in entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    site, url = start_site(args.pages)
    try:
        ceiling = server_ceiling(url, args.pages)
        print(f"stand-in ceiling: {ceiling:,.0f} pages/s")
        project_walls, project_engine, seed_walls = [], [], []
        for round_number in range(args.rounds):
            wall, ours, engine = project_crawl(url, args.pages)
            seed_wall, theirs = seed_run(url, args.pages)
            if len(set(ours)) != args.pages * 10 or not set(theirs) <= set(ours):
                raise RuntimeError("the project and the seed disagree on what the pages hold")
            seed_lost = len(ours) - len(theirs)
            project_walls.append(wall)
            project_engine.append(engine)
            seed_walls.append(seed_wall)
            print(
                f"round {round_number + 1}: project {wall:.2f} s (engine {engine:.2f} s), "
                f"seed {seed_wall:.2f} s"
            )
    finally:
        site.terminate()
        site.wait(timeout=10)
    items = args.pages * 10
    rows = []
    figures = {
        "pages": args.pages,
        "rounds": args.rounds,
        "server_ceiling_pages_s": round(ceiling),
        "seed_lost_entries": seed_lost,
    }
    for name, seconds in [
        ("project spider, whole process", median(project_walls)),
        ("project spider, engine time (stats)", median(project_engine)),
        ("seed: requests + BeautifulSoup + Pool", median(seed_walls)),
    ]:
        pages_s = args.pages / seconds
        rows.append(
            [
                name,
                f"{seconds:.2f}",
                f"{pages_s:,.0f}",
                f"{items / seconds:,.0f}",
                f"{pages_s / ceiling:.0%}",
            ]
        )
        figures[name] = {"seconds": round(seconds, 3), "pages_s": round(pages_s, 1)}
    table = markdown_table(
        ["crawler", "seconds", "pages/s", "items/s", "of the server's ceiling"], rows
    )
    print(table)
    speedup = median(seed_walls) / median(project_walls)
    print(
        f"\nproject vs seed (whole process): {speedup:.2f}x; server ceiling {ceiling:,.0f} pages/s"
    )
    figures["speedup_vs_seed"] = round(speedup, 2)
    print(
        f"the seed lost {seed_lost} of {items} entries: its four soup.select lists, zipped, "
        "drop a page's last film whenever one film shows no release time"
    )
    print(f"figures written to {save('crawl', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
