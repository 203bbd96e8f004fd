"""``credscore models``: every registered model, what it accepts, and its paper."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import IO, Any

from credscore.errors import InvalidSettingError

__all__ = ["add_parser", "describe_models", "run", "with_settings"]

_ROLE = re.compile(r":\w+:`~?([^`]*)`")
_REF = re.compile(r"^\s*\.\. \[[^\]]+\]\s*(.*)$")


def _summary(doc: str) -> str:
    """The first paragraph of a docstring, on one line, without RST roles."""
    lines = []
    for line in doc.strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return _clean(" ".join(lines))


def _paper(doc: str) -> str | None:
    """The first entry of a numpydoc ``References`` section, on one line
    (entries are paragraphs, with or without a ``.. [1]`` label)."""
    lines = [line.strip() for line in doc.splitlines()]
    try:
        start = next(
            i for i in range(len(lines) - 1)
            if lines[i] == "References" and set(lines[i + 1]) == {"-"}
        )  # fmt: skip
    except StopIteration:
        return None
    parts: list[str] = []
    for line in lines[start + 2 :]:
        m = _REF.match(line)
        if m and parts:  # the next labelled entry
            break
        if not line:
            if parts:
                break
            continue
        parts.append(m.group(1) if m else line)
    return _clean(" ".join(parts)) if parts else None


def _clean(text: str) -> str:
    text = _ROLE.sub(r"\1", text).replace("``", "").replace("*", "")
    return text.replace("\\varepsilon", "ε").replace("\\,", "")


def describe_models() -> list[dict[str, Any]]:
    """One entry per registered model: ``scale`` (``case`` for ``credscore
    score --model``, ``table`` for ``credscore fuse --model``), ``name``,
    ``values`` (the kinds of table values it accepts; ``None`` for case
    models), ``gold`` (whether it holds known values in its fit,
    ``fit(table, gold=...)`` or ``credscore fuse --fit-gold``; ``None`` for
    case models), ``summary`` and ``paper`` (``None`` when its docstring
    cites none).

    Examples
    --------
    >>> rows = describe_models()
    >>> [r["name"] for r in rows if r["scale"] == "case"][:2]
    ['corroboration', 'independent']
    >>> majority = next(r for r in rows if r["name"] == "majority")
    >>> majority["values"], majority["gold"], majority["summary"][:13]
    (['categorical'], False, 'Majority vote')
    """
    import credscore.models  # noqa: F401  (registers the built-in models)
    from credscore.case.registry import _CASE_MODELS
    from credscore.models.registry import _REGISTRY

    out: list[dict[str, Any]] = []
    for name, factory in _CASE_MODELS.items():
        try:
            model = factory()
        except Exception as exc:  # a user's factory: list it, say what went wrong
            out.append(
                {"scale": "case", "name": name, "values": None, "gold": None,
                 "summary": f"(its factory fails: {type(exc).__name__}: {exc})", "paper": None}
            )  # fmt: skip
            continue
        doc = type(model).__doc__ or ""
        summary = _summary(doc)
        own = _own_settings(model)
        if own:
            summary = f"{summary} With {own}."
        out.append(
            {"scale": "case", "name": name, "values": None, "gold": None,
             "summary": summary, "paper": _paper(doc)}
        )  # fmt: skip
    for name in sorted(_REGISTRY):
        cls = _REGISTRY[name]
        doc = cls.__doc__ or ""
        out.append(
            {"scale": "table", "name": name, "values": sorted(cls.kinds),
             "gold": cls.accepts_gold(), "summary": _summary(doc), "paper": _paper(doc)}
        )  # fmt: skip
    return out


def _own_settings(model: Any) -> str:
    """The settings in which a registered instance differs from its class's defaults."""
    import attrs

    if not attrs.has(type(model)):
        return ""
    try:
        default = type(model)()
    except TypeError:
        return ""
    changed = [
        f"{f.name}={getattr(model, f.name)!r}"
        for f in attrs.fields(type(model))
        if f.init and getattr(model, f.name) != getattr(default, f.name)
    ]
    return ", ".join(changed)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "models",
        help="list the registered models",
        description="List every registered model: the case models of "
        "`credscore score --model` and the table models of `credscore fuse --model`, "
        "with the values each accepts (and --fit-gold for those that hold known values "
        "in their fit), a one-line summary and the paper it follows.",
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(_run=run)
    return p


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    out = out if out is not None else sys.stdout
    rows = describe_models()
    if args.json:
        json.dump(rows, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    for scale, title in (
        ("case", "case models (credscore score --model NAME)"),
        ("table", "table models (credscore fuse --model NAME)"),
    ):
        chosen = [r for r in rows if r["scale"] == scale]
        width = max(len(r["name"]) for r in chosen)
        print(title, file=out)
        for r in chosen:
            tags = list(r["values"] or []) + (["--fit-gold"] if r["gold"] else [])
            kinds = f" [{', '.join(tags)}]" if tags else ""
            print(f"  {r['name']:<{width}}  {r['summary']}{kinds}", file=out)
            if r["paper"]:
                print(f"  {'':<{width}}  after {r['paper']}", file=out)
        if scale == "case":
            print(file=out)
    return 0


def _value(text: str) -> Any:
    """A setting's value as typed: none/null, true/false, an integer, a
    number, or else the text itself."""
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def with_settings(model: Any, pairs: Sequence[str] | None) -> Any:
    """``model`` with the settings of ``--set KEY=VALUE`` options applied
    (each value typed by :func:`_value`, then checked by the model's own
    validators).

    Raises
    ------
    InvalidSettingError
        For a malformed pair, an unknown key (the message lists the model's
        settings) or a bad value (the message names the setting).

    Examples
    --------
    >>> from credscore.models import Accu
    >>> with_settings(Accu(), ["n_false=10", "prior-strength=0"])
    Accu(max_iter=100, tol=1e-06, seed=None, n_false=10, ..., prior_strength=0)
    >>> with_settings(Accu(), ["colour=red"])
    Traceback (most recent call last):
    ...
    credscore.errors.InvalidSettingError: --set: model 'accu' has no setting 'colour' (its settings: max_iter, tol, seed, n_false, initial_accuracy, unobserved, eps, prior_strength)
    """
    if not pairs:
        return model
    import attrs

    name = getattr(model, "name", "") or type(model).__name__
    if not attrs.has(type(model)):
        raise InvalidSettingError(f"--set: model {name!r} has no settings to change")
    settable = [
        f.name for f in attrs.fields(type(model)) if f.init and f.name not in ("progress",)
    ]
    if not settable:
        raise InvalidSettingError(f"--set: model {name!r} has no settings")
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidSettingError(f"--set: expected KEY=VALUE, got {pair!r}")
        if key not in settable:
            raise InvalidSettingError(
                f"--set: model {name!r} has no setting {key!r} "
                f"(its settings: {', '.join(settable)})"
            )
        changes[key] = _value(text)
    try:
        return attrs.evolve(model, **changes)
    except InvalidSettingError as exc:
        raise InvalidSettingError(f"--set: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise InvalidSettingError(f"--set: model {name!r}: {exc}") from None
