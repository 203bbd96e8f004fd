"""Sphinx configuration of the credscore documentation (MyST Markdown, furo).

The build needs no network: no intersphinx mappings, no remote images.
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

import credscore  # noqa: E402

project = "credscore"
author = "credscore developers"
copyright = "credscore developers"
release = credscore.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "matplotlib.sphinxext.plot_directive",
    "credscore_docs",
]

# Pictures ({plot} blocks) are drawn at build time from the code shown with
# them; DATA is the folder of the shared evaluation data sets.
import os  # noqa: E402

_DATA = Path(os.environ.get("CREDSCORE_DATA", DOCS.parent.parent / "shared" / "data"))
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_pre_code = (
    "import matplotlib\nmatplotlib.use('Agg')\nfrom pathlib import Path\n"
    f"DATA = Path({str(_DATA.resolve())!r})\n"
)

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md"]
templates_path: list[str] = []

# Offline build: intersphinx is loaded for its roles, but maps nothing.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
intersphinx_disabled_reftypes = ["*"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"undoc-members": False}
autodoc_preserve_defaults = True
autoclass_content = "class"

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # attributes as fields: no clash with attrs fields autodoc lists
napoleon_use_rtype = False
napoleon_preprocess_types = False

# Docstring examples already run under `pytest --doctest-modules`; the doctest
# builder checks the examples written in these pages ({doctest} blocks).
doctest_test_doctest_blocks = ""
doctest_global_setup = "import credscore as cs"
import doctest as _doctest  # noqa: E402

doctest_default_flags = (
    _doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE | _doctest.DONT_ACCEPT_TRUE_FOR_1
)

# The same class is documented under the package and under its module (e.g.
# credscore.FusionResult and credscore.models.FusionResult); a short type name in a
# signature then has two targets. Either is right, so that warning is noise.
suppress_warnings = ["ref.python"]

html_theme = "furo"
html_title = f"credscore {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
pygments_style = "sphinx"
