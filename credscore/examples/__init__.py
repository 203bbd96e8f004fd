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

``record``: an *invented* record of resolved claims from the same sources,
for the tutorial and :doc:`/howto/learn` (not real data).
"""

from __future__ import annotations

from pathlib import Path

from credscore.case.model import Case

__all__ = ["kursk", "names", "path", "record"]

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


def record(n_claims: int = 60, seed: int = 0) -> Case:
    """An invented record of resolved claims by the reference case's sources.

    Not real data: a made-up history in which, on claims that later
    resolved, the Pentagon and the White House were right about 9 times in
    10, GUR 7 in 10 on claims that served Ukraine, unnamed intelligence
    sources 6 in 10, and Moscow's denials of claims that hurt Russia 3 in 10.
    It shows what :func:`credscore.learn` does with such a record.

    Examples
    --------
    >>> case = record()
    >>> sum(c.resolved for c in case.claims), len(case.claims)
    (33, 60)
    """
    import numpy as np

    from credscore.case.model import Claim, Report, Stance

    base = kursk()
    rng = np.random.default_rng(seed)
    right = {"pentagon": 0.9, "white-house": 0.9, "gur": 0.7, "intel-sources": 0.6}
    claims, reports = [], []
    for j in range(n_claims):
        cid = f"past-{j:02d}"
        truth = bool(rng.random() < 0.6)
        claims.append(
            Claim(
                cid,
                text=f"past claim {j}",
                benefits=("ua",),
                harms=("ru", "kp"),
                topic="war",
                resolved=truth,
                resolved_at=f"2024-{1 + j % 11:02d}-15",
            )
        )
        for sid, p in right.items():
            if rng.random() < 0.5:
                continue
            says = truth if rng.random() < p else not truth
            reports.append(Report(sid, cid, Stance.CONFIRMS if says else Stance.DENIES))
        if rng.random() < 0.5:  # Moscow denies; right 3 times in 10
            says = truth if rng.random() < 0.3 else not truth
            reports.append(Report("ru-mod", cid, Stance.CONFIRMS if says else Stance.DENIES))
    return Case(base.sources, claims, reports)
