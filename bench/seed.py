"""The seed's design, written down so the project can be measured against it:
requests + BeautifulSoup (lxml) + a multiprocessing.Pool mapping one
fetch-and-parse function over the offsets, the way the classic tutorial does it."""

from __future__ import annotations

from multiprocessing import Pool

import requests
from bs4 import BeautifulSoup


def seed_parse(html: str) -> list[dict]:
    """The seed's extraction: four ``soup.select`` lists zipped together."""
    soup = BeautifulSoup(html, "lxml")
    indexes = soup.select("i.board-index")
    links = soup.select("dl.board-wrapper > dd > a")
    stars = soup.select("p.star")
    releases = soup.select("p.releasetime")
    return [
        {
            "index": index.get_text(),
            "title": link["title"],
            "star": star.get_text().strip(),
            "releasetime": release.get_text().strip(),
        }
        for index, link, star, release in zip(indexes, links, stars, releases, strict=False)
    ]


def fetch_and_parse(url: str) -> list[dict]:
    response = requests.get(url, headers={"User-Agent": "seed"}, timeout=30)
    return seed_parse(response.text)


def seed_crawl(urls: list[str], processes: int | None = None) -> list[dict]:
    with Pool(processes) as pool:
        pages = pool.map(fetch_and_parse, urls)
    return [entry for page in pages for entry in page]
