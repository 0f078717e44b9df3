"""Deploy the Scrapy project to scrapyd: `python -m deploy TARGET`."""
