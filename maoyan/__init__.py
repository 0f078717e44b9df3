"""Scrapy project that collects Maoyan's film ranking boards politely."""

from maoyan.scrapy_compat import use_shipped_suffix_list

# Before Scrapy's cookies middleware is imported: offline, tldextract would first try
# to download the public-suffix list (see maoyan.scrapy_compat).
use_shipped_suffix_list()
