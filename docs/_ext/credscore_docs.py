"""Sphinx helpers for the credscore docs: output produced by the code at build time.

Directives (each page gets a fresh scratch folder and Python namespace):

``credscore-file NAME``
    Writes its content to NAME in the page's scratch folder and shows it.
``credscore-run``
    Runs each line as a shell command in the scratch folder (``credscore``
    is the command line of the credscore being documented) and shows the
    command and what it printed (standard output and error). A command that
    fails is a build error, unless ``:returncode:`` says which status to expect.
``credscore-python``
    Runs its content as Python in the page's namespace and shows the code and
    what it printed. An exception is a build error.

Events: the API reference page is generated from the modules that exist (so
that it lists the public names whatever has landed), pages that others add
(the generated ``accuracy`` page, a how-to that comes with a module) join the
table of contents where the index says ``<!-- credscore:more FOLDER -->``, and numpydoc
``References`` footnotes are turned into plain lists, so that several
docstrings on one page do not clash over ``[1]``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, ClassVar

import attrs
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parents[1]

# Modules whose public names the API reference lists, in this order, when
# they can be imported.
API_MODULES = [
    ("credscore", "The package: cases, scoring, tables and errors"),
    ("credscore.semantics", "What the numbers mean: stance codes, log-likelihood ratios, pooling"),
    ("credscore.case.model", "The case data model"),
    ("credscore.case.result", "Scores and how a model builds them"),
    ("credscore.case.grading", "Grades and phrases"),
    ("credscore.case.learning", "Learning reliabilities from a case"),
    ("credscore.case.learned", "Learning from resolved claims"),
    ("credscore.case.quantities", "Quantities: the fused figure of a claim"),
    ("credscore.io.casefile", "The JSON case file"),
    ("credscore.io.casetables", "Cases from spreadsheets"),
    ("credscore.io.text", "Reading text inputs"),
    ("credscore.io.export", "Exports: ClaimReview, STIX 2.1, MISP"),
    ("credscore.plot", "Pictures (the plot extra)"),
    ("credscore.examples", "Built-in example cases"),
    ("credscore.table", "Tables of assertions"),
    ("credscore.models", "Table-scale models"),
    ("credscore.models.base", "Writing a table model: the base classes"),
    ("credscore.kernels.backend", "numpy or numba kernels"),
    ("credscore.metrics", "Metrics"),
    ("credscore.datasets", "Data sets"),
    ("credscore.dask", "Fusing on a Dask cluster"),
    ("credscore.strategies", "Hypothesis strategies"),
    ("credscore.testing", "Testing your own models"),
    ("credscore.cli.main", "Command line"),
]


class _Scratch:
    """Per-page scratch folders and Python namespaces."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="credscore-docs-"))
        self.namespaces: dict[str, dict[str, Any]] = {}

    def folder(self, docname: str) -> Path:
        path = self.root / docname.replace("/", "__")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def reset(self, docname: str) -> None:
        shutil.rmtree(self.root / docname.replace("/", "__"), ignore_errors=True)
        self.namespaces.pop(docname, None)

    def namespace(self, docname: str) -> dict[str, Any]:
        return self.namespaces.setdefault(docname, {"__name__": "__docs__"})


_scratch: _Scratch | None = None


def _get_scratch() -> _Scratch:
    global _scratch
    if _scratch is None:
        _scratch = _Scratch()
    return _scratch


def _literal(text: str, language: str, caption: str | None = None) -> nodes.Element:
    block = nodes.literal_block(text, text)
    block["language"] = language
    if caption is None:
        return block
    container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
    container += nodes.caption(caption, caption)
    container += block
    return container


class FileDirective(SphinxDirective):
    """Write a file into the page's scratch folder and show it."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {"language": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        text = "\n".join(self.content) + "\n"
        folder = _get_scratch().folder(self.env.docname)
        (folder / name).write_text(text, encoding="utf-8")
        language = self.options.get("language") or ("json" if name.endswith(".json") else "text")
        return [_literal(text.rstrip("\n"), language, caption=name)]


class RunDirective(SphinxDirective):
    """Run shell commands in the page's scratch folder and show their output."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "returncode": directives.nonnegative_int,
        "hide-command": directives.flag,
    }

    def run(self) -> list[nodes.Node]:
        folder = _get_scratch().folder(self.env.docname)
        expected = self.options.get("returncode", 0)
        env = dict(os.environ)
        env.update(COLUMNS="88", PYTHONIOENCODING="utf-8", CREDSCORE_PY=sys.executable)
        # The docs show the command as users type it; run it with the same
        # Python that builds the docs, whether or not the script is on PATH.
        prelude = 'credscore() { "$CREDSCORE_PY" -m credscore "$@"; }\n'
        shown: list[str] = []
        for command in self.content:
            if not command.strip():
                continue
            proc = subprocess.run(
                ["bash", "-c", prelude + command],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            output = proc.stdout + proc.stderr
            if proc.returncode != expected:
                logger.warning(
                    "credscore-run: %r exited with %d (expected %d):\n%s",
                    command,
                    proc.returncode,
                    expected,
                    output,
                    location=self.get_location(),
                )
            if "hide-command" not in self.options:
                shown.append(f"$ {command}")
            shown.append(output.rstrip("\n"))
        return [_literal("\n".join(s for s in shown if s), "console")]


class PythonDirective(SphinxDirective):
    """Run Python in the page's namespace; show the code and what it printed."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {"hide-code": directives.flag}

    def run(self) -> list[nodes.Node]:
        code = "\n".join(self.content)
        namespace = _get_scratch().namespace(self.env.docname)
        folder = _get_scratch().folder(self.env.docname)
        out = io.StringIO()
        cwd = Path.cwd()
        try:
            os.chdir(folder)
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"<{self.env.docname}>", "exec"), namespace)
        except Exception:
            logger.warning(
                "credscore-python: the code raised:\n%s",
                traceback.format_exc(),
                location=self.get_location(),
            )
        finally:
            os.chdir(cwd)
        result: list[nodes.Node] = []
        if "hide-code" not in self.options:
            result.append(_literal(code, "python"))
        printed = out.getvalue().rstrip("\n")
        if printed:
            block = _literal(printed, "text")
            block["classes"].append("credscore-output")
            result.append(block)
        return result


#: public classes whose attributes include internal layouts: only these
#: members are documented (CompiledCase's CSR arrays of links and interests
#: are reached through descendants, ancestors and interest)
_CLASS_MEMBERS = {
    "credscore": {
        "CompiledCase": (
            "case, source_ids, claim_ids, group_ids, source_index, claim_index, "
            "source_reliability, group_parent, group_depth, group_dependence, source_group, "
            "claim_prior, claim_has_harms, report_source, report_claim, report_stance, "
            "report_time, report_weight, report_cites, n_sources, n_claims, n_groups, "
            "n_reports, descendants, ancestors, interest"
        ),
    },
}


def _api_page() -> str:
    """MyST source of the API reference: the modules that exist, their public names."""
    parts = []
    top: set[int] = set()
    for module, title in API_MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # An optional dependency (an extra) that is not installed: skip the
            # module quietly. A missing credscore module is a real error.
            if (exc.name or "").startswith("credscore"):
                logger.warning("API reference: cannot import %s (%s)", module, exc)
            else:
                logger.info("API reference: %s needs %s; not listed", module, exc.name)
            continue
        except Exception as exc:
            logger.warning("API reference: cannot import %s (%s)", module, exc)
            continue
        names = list(getattr(mod, "__all__", []))
        # A name the package itself exports is documented once, under the package.
        again = [n for n in names if id(getattr(mod, n, None)) in top]
        top.update(id(getattr(mod, n, None)) for n in names if not n.startswith("__"))
        chosen = _CLASS_MEMBERS.get(module, {})
        again += [n for n in chosen if n in names]
        exclude = f"   :exclude-members: {', '.join(again)}\n" if again else ""
        classes = "".join(
            f"\n.. autoclass:: {module}.{cls}\n   :members: {members}\n"
            for cls, members in chosen.items()
            if cls in names
        )
        parts.append(
            f"## {title}\n\n"
            f"```{{eval-rst}}\n"
            f".. automodule:: {module}\n"
            f"   :members:\n"
            f"   :show-inheritance:\n"
            f"{exclude}"
            f"{classes}"
            f"```\n"
        )
    return "\n".join(parts)


_MORE = re.compile(r"<!-- credscore:more (\S+) -->")


def _more_pages(folder: str, text: str) -> str:
    """Pages in ``folder`` that the text does not list yet (other people's pages:
    the accuracy report, a how-to added with a module), one per line, sorted."""
    listed = {line.strip() for line in text.splitlines()}
    base = DOCS / folder
    found = []
    for path in sorted(base.glob("*.md")):
        name = path.relative_to(DOCS).with_suffix("").as_posix()
        if name not in listed and name not in ("index", "README"):
            found.append(name)
    return "\n".join(found)


def _on_outdated(
    app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    # The index lists pages that exist; re-read it whenever the set may change.
    return ["index"]


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    _get_scratch().reset(docname)
    text = source[0]
    if "<!-- credscore:api -->" in text:
        text = text.replace("<!-- credscore:api -->", _api_page())
    if "<!-- credscore:more " in text:
        text = _MORE.sub(lambda m: _more_pages(m.group(1), text), text)
    source[0] = text


_FOOTNOTE = re.compile(r"^(\s*)\.\. \[([^\]]+)\]\s*(.*)$")
_FOOTNOTE_REF = re.compile(r"\[([0-9]+|#[\w-]*|\*)\]_")


def _on_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """numpydoc ``.. [1]`` references -> a plain list (no page-wide footnote labels)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _FOOTNOTE.match(lines[i])
        if not m:
            out.append(_FOOTNOTE_REF.sub(r"[\1]", lines[i]))
            i += 1
            continue
        indent, label, rest = m.groups()
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}- [{label}] {rest}")
        i += 1
        while (
            i < len(lines)
            and lines[i].strip()
            and len(lines[i]) - len(lines[i].lstrip()) > len(indent)
        ):
            out.append(f"{indent}  {lines[i].strip()}")
            i += 1
        if i < len(lines) and lines[i].strip() and not _FOOTNOTE.match(lines[i]):
            out.append("")
    lines[:] = out


_ATTRS_DEFAULT = re.compile(r"attr_dict\['(\w+)'\]\.default")


def _on_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    """An attrs class's preserved defaults read ``attr_dict['x'].default`` (the
    generated ``__init__``'s source): show the default itself."""
    if not signature or "attr_dict[" not in signature or not attrs.has(obj):
        return None
    fields = attrs.fields_dict(obj)

    def default(m: re.Match[str]) -> str:
        d = fields[m.group(1)].default
        if isinstance(d, attrs.Factory):  # type: ignore[arg-type]
            return "()" if d.factory is tuple else f"{d.factory.__name__}()"
        return repr(d)

    return _ATTRS_DEFAULT.sub(default, signature), return_annotation


def _on_finished(app: Sphinx, exc: Exception | None) -> None:
    global _scratch
    if _scratch is not None:
        shutil.rmtree(_scratch.root, ignore_errors=True)
        _scratch = None


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("credscore-file", FileDirective)
    app.add_directive("credscore-run", RunDirective)
    app.add_directive("credscore-python", PythonDirective)
    app.connect("source-read", _on_source_read)
    app.connect("env-get-outdated", _on_outdated)
    app.connect("autodoc-process-docstring", _on_docstring)
    app.connect("autodoc-process-signature", _on_signature)
    app.connect("build-finished", _on_finished)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
