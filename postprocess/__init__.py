"""The post-process stage: many exported feeds in, one clean, deduplicated table out.

Runs on its own (``python -m postprocess FEED ... -o OUT``), separate from the crawl.
"""
