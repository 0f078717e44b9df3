"""``python -m postprocess.report HISTORY -o report.html``: the boards' history as a page.

HISTORY is the table ``python -m postprocess FEED ... --history HISTORY`` wrote; the
report is one HTML file that opens offline (charts inline as SVG, no script, nothing
from a CDN), readable on a phone.
"""
