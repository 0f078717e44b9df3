"""Extraction: one pure module per kind of answer the site sends, each turning it into
feed fields, tested on saved answers beside their expected output.

* :mod:`maoyan.extract.desktop` -- www.maoyan.com's board pages (HTML);
* :mod:`maoyan.extract.mobile` -- m.maoyan.com's board page (its ``AppData`` script)
  and the board JSON behind its scrolling;
* :mod:`maoyan.extract.html` -- the HTML helpers both read pages with.

``python -m maoyan.extract SAVED [URL]`` prints what they read from a saved answer.
A third source is one more module here, importing only :mod:`maoyan.extract.html`.
"""
