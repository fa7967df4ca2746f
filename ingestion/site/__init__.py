"""`impact report`: a static HTML site from the marts (an index, one page per project and per collection).

`data` reads the warehouse, `render` writes the pages from the Jinja2 templates in `templates/` (autoescaped: every
name from the registry is text, never markup), `static/` holds the stylesheet and the script that draws the charts
with plotly.js, which is copied into the site from the `plotly` package: a page opens from disk with no network.
"""

from ingestion.site.render import SiteResult, write_site

__all__ = ["SiteResult", "write_site"]
