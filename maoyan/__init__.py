"""Scrapy project that collects Maoyan's film ranking boards politely."""
