"""Built-in example cases.

``kursk``: the reference case (:doc:`/tutorial`) -- North Korean troops in
Russia's Kursk region, December 2024. Ukraine's military intelligence (GUR)
reported about 30 North Korean soldiers killed or wounded near Plekhovo,
Vorobzha and Martynovka and at least three missing near Kurilovka; the
Pentagon confirmed that US intelligence had evidence of North Korean
casualties; the White House said the troops had moved into front-line combat;
unnamed intelligence sources put the deployment at about 11,000 soldiers;
the Kremlin referred questions to the Russian Ministry of Defence, which did
not comment, and Pyongyang said nothing.
"""

from __future__ import annotations

from pathlib import Path

from credscore.case.model import Case

__all__ = ["kursk", "names", "path"]

_HERE = Path(__file__).resolve().parent


def names() -> list[str]:
    """Names of the built-in examples.

    Examples
    --------
    >>> names()
    ['kursk']
    """
    return sorted(p.stem for p in _HERE.glob("*.json"))


def path(name: str) -> Path:
    """Path of a built-in example's JSON case file.

    Examples
    --------
    >>> path("kursk").name
    'kursk.json'
    """
    p = _HERE / f"{name}.json"
    if not p.is_file():
        raise KeyError(f"no built-in example {name!r}; available: {', '.join(names())}")
    return p


def kursk() -> Case:
    """The reference case: North Korean troops in Kursk (December 2024).

    Examples
    --------
    >>> case = kursk()
    >>> [c.id for c in case.claims][:2]
    ['nk-casualties', 'nk-30-casualties']
    """
    from credscore.io.casefile import load_case

    return load_case(path("kursk"))
