"""Packaging for scrapyd: ``scrapyd-deploy`` (run by ``python -m deploy``) builds an egg
of this file. The egg holds the Scrapy project and the facts it shares with the
post-process (maoyan_common) -- not the tests, the stand-in site, the post-process
stage or the benchmarks, which scrapyd never runs."""

from setuptools import find_packages, setup

setup(
    name="maoyan",
    version="1.0",
    packages=find_packages(include=["maoyan", "maoyan.*", "maoyan_common"]),
    entry_points={"scrapy": ["settings = maoyan.settings"]},
)
