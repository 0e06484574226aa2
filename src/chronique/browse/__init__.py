"""``chronique browse``: a static, self-contained HTML browser of a release.

>>> from chronique.browse import write_site
>>> result = write_site(Path("releases/0.1.0"), Path("site"))   # doctest: +SKIP
>>> result.index                                                 # doctest: +SKIP
PosixPath('site/index.html')

The site opens from the file system: no server, no network, only local CSS and JavaScript.
"""

from chronique.browse.markup import render_text
from chronique.browse.site import SiteResult, site_files, write_site

__all__ = ["SiteResult", "render_text", "site_files", "write_site"]
