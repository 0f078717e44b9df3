"""Benchmarks, run on demand (never in CI): ``python -m bench.parse``, ``bench.crawl``,
``bench.postprocess``. Each prints a table and writes its figures to bench/results/."""
