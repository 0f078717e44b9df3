"""A local stand-in of Maoyan's board pages for tests, the offline demo and benchmarks."""
