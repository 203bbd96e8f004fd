"""Loaders of the truth-discovery data sets: conflicting values from web sources.

Each loader normalises values so that equal facts written differently compare
equal; the normalisers are public (:func:`normalize_authors`,
:func:`normalize_population`, :func:`normalize_time`) and applied in the same
way to the sources' values and to the gold values.
"""

from __future__ import annotations

import contextlib
import csv
import html
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

import numpy as np

from credscore.datasets._base import Dataset, require, resolve
from credscore.errors import InvalidTableError
from credscore.table.table import Table

__all__ = [
    "editor_kind",
    "load_books",
    "load_flights",
    "load_population",
    "normalize_authors",
    "normalize_population",
    "normalize_time",
]

PathArg = str | os.PathLike[str] | None

# Words that name a role or a title rather than a person.
_NOT_NAMES = frozenset(
    {
        "by",
        "author",
        "authors",
        "editor",
        "editors",
        "edited",
        "ed",
        "eds",
        "et",
        "al",
        "and",
        "with",
        "foreword",
        "introduction",
        "translator",
        "translated",
        "illustrator",
        "illustrated",
        "phd",
        "jr",
        "sr",
        "ii",
        "iii",
        "iv",
        "md",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "contributor",
        "contributors",
        "compiler",
        "compiled",
        "preface",
    }
)
_MISSING_AUTHORS = frozenset({"", "not available", "n/a", "na", "unknown", "none"})


def _fold(text: str) -> str:
    """Undo HTML entities and UTF-8 read as Latin-1, then drop accents."""
    text = html.unescape(text)
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("latin-1").decode("utf-8")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def normalize_authors(text: str) -> str | None:
    """Normalise an author list to a canonical string, or None when missing.

    The result is the sorted set of the name words in the list, lowercase,
    separated by single spaces: HTML entities are decoded and accents
    dropped; punctuation splits words; single letters (initials) and role
    words (``by``, ``author``, ``editor``, ``et al``, ``jr`` ...) are dropped.
    So case, punctuation, the order of the names, and the order of first and
    last name ("Knuth, Donald E." vs "Donald E. Knuth") do not matter, while a
    missing or extra author, or a different first name, does. ``Not
    Available``, ``n/a``, ``unknown`` and empty strings are missing values.

    Parameters
    ----------
    text : str

    Returns
    -------
    str or None

    Examples
    --------
    >>> normalize_authors("Knuth, Donald E.")
    'donald knuth'
    >>> normalize_authors("Peter Aiken, M. David Allen") == normalize_authors(
    ...     "aiken, peter ;  allen, m. david;")
    True
    >>> normalize_authors("Hornick, Mark F.; Marcad&eacute;, Erik")
    'erik hornick marcade mark'
    >>> normalize_authors("Not Available") is None
    True
    """
    folded = _fold(text).lower().strip()
    if folded in _MISSING_AUTHORS:
        return None
    words = {w for w in re.split(r"[^a-z]+", folded) if len(w) > 1 and w not in _NOT_NAMES}
    return " ".join(sorted(words)) if words else None


def load_books(path: PathArg = None) -> Dataset:
    """Book author lists from online book stores (AbeBooks; Yin, Han & Yu, KDD 2007).

    ``book.txt`` has tab-separated ``store, isbn, title, authors`` rows and no
    header; ``book_golden.txt`` has ``isbn, authors`` for 100 books. Objects
    are ISBNs, sources are stores, values are author lists normalised by
    :func:`normalize_authors` (the gold too); rows whose list is missing
    ("Not Available", empty) assert nothing. When a store lists a book twice,
    its last row counts.

    Parameters
    ----------
    path : str or path-like, optional
        The folder holding the two files; default ``truth/books`` under the
        data root.

    Returns
    -------
    Dataset
        Scored: the 100 gold books; a book counts as right when its fused
        normalised author list equals the normalised gold list exactly.

    References
    ----------
    X. Yin, J. Han and P. S. Yu, "Truth discovery with multiple conflicting
    information providers on the web", KDD 2007. X. L. Dong, L. Berti-Equille
    and D. Srivastava, "Integrating conflicting data: the role of source
    dependence", PVLDB 2(1), 2009.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["A\\t0120887975\\tSQL\\tCelko, Joe", "B\\t0120887975\\tSQL\\tJoe Celko",
    ...         "C\\t0120887975\\tSQL\\tNot Available"]
    >>> _ = (d / "book.txt").write_text("\\n".join(rows))
    >>> _ = (d / "book_golden.txt").write_text("0120887975\\tcelko, joe ;\\n")
    >>> ds = load_books(d)
    >>> ds.table.claim_value.tolist(), ds.table.n_assertions, ds.gold
    (['celko joe'], 2, {'0120887975': 'celko joe'})
    """
    root = resolve(path, "truth", "books")
    src, obj, val = [], [], []
    f = require(root, "book.txt")
    skipped = 0
    with f.open(encoding="utf-8", newline="") as fh:
        for line_no, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise InvalidTableError(
                    f"{f}, line {line_no}: has {len(parts)} tab-separated fields, expected 4"
                )
            authors = normalize_authors(parts[3])
            if authors is None:
                skipped += 1
                continue
            src.append(parts[0].strip())
            obj.append(parts[1].strip())
            val.append(authors)
    table = Table.from_arrays(src, obj, val, numeric=False)
    gold: dict[Any, Any] = {}
    g = require(root, "book_golden.txt")
    with g.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            isbn, _, authors = line.rstrip("\r\n").partition("\t")
            norm = normalize_authors(authors)
            if norm is None:
                raise InvalidTableError(f"{g}, line {line_no}: gold author list is empty")
            gold[isbn.strip()] = norm
    objects = set(table.object_ids.tolist())
    present = sum(1 for k in gold if k in objects)
    text = (
        f"Books (Yin, Han & Yu, KDD 2007): author lists of {table.n_objects} books from "
        f"{table.n_sources} online stores, {table.n_assertions} listings ({skipped} rows "
        "without an author list skipped). Values normalised by normalize_authors: the "
        "sorted set of lowercase name words, accents and HTML entities decoded, initials "
        "and role words dropped, so case, punctuation and name order do not matter. "
        f"Scored: the {present} gold books; right when the fused normalised list equals "
        "the normalised gold list exactly."
    )
    return Dataset("books", table, gold, text, root)


def normalize_population(text: str) -> int | None:
    """A population figure as an integer, or None when it is not a number.

    Thousands separators (``,`` ``_`` spaces) are removed and a decimal
    figure is rounded to the nearest integer.

    Examples
    --------
    >>> normalize_population("478,403"), normalize_population(" 1583.0 ")
    (478403, 1583)
    >>> normalize_population("n/a") is None
    True
    """
    cleaned = re.sub(r"[,_\s]", "", text)
    try:
        number = float(cleaned)
    except ValueError:
        return None
    if not np.isfinite(number) or number < 0:
        return None
    return round(number)


_ANONYMOUS = re.compile(
    r"^(?:contributor\s*#\s*)?0\s*\(|^(?:\d{1,3}\.){3}\d{1,3}$|^[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}$",
    re.IGNORECASE,
)
_BOT_WORD = re.compile(r"bot(?![a-z])", re.IGNORECASE)
_BOT_PREFIX = re.compile(r"(?<![A-Za-z])BOT")


def editor_kind(name: str) -> Literal["anonymous", "bot", "registered"]:
    """The kind of a Wikipedia editor, from the editor's name alone.

    A rule known before any data are seen (it never looks at what the editor
    wrote), used by :func:`load_population` to give each editor a source
    group (:attr:`Dataset.source_groups`):

    ``"anonymous"``
        An edit without an account. Wikipedia records it under user id 0
        with the IP address as the name: ``"0 (68.162.248.83)"`` in the
        DAFNA-EA files, ``"contributor #0 (68.162.248.83)"`` in
        ``population-new.txt``; a bare IPv4 or IPv6 address also counts.
    ``"bot"``
        A registered account whose name follows Wikipedia's bot policy
        (the name says it is a bot): a word of the name ends in "bot"
        (``CapitalBot``, ``VoABot II``, ``Kotbot``), or a word starts with
        "BOT" in capitals (``BOTijo``). "Water Bottle" is not a bot.
    ``"registered"``
        Every other account.

    Parameters
    ----------
    name : str
        The editor as written in the data: ``"<user id>: <user name>"``,
        ``"contributor #<user id>: <user name>"`` or ``"0 (<ip>)"``.

    Returns
    -------
    str
        ``"anonymous"``, ``"bot"`` or ``"registered"``.

    Examples
    --------
    >>> editor_kind("0 (68.162.248.83)"), editor_kind("contributor #0 (130.13.0.68)")
    ('anonymous', 'anonymous')
    >>> editor_kind("5512121: CapitalBot"), editor_kind("3729068: BOTijo")
    ('bot', 'bot')
    >>> editor_kind("129912: Water Bottle"), editor_kind("620554: Harpchad")
    ('registered', 'registered')
    """
    text = name.strip()
    if _ANONYMOUS.search(text):
        return "anonymous"
    _, sep, user = text.partition(":")
    user = user if sep else text
    if _BOT_WORD.search(user) or _BOT_PREFIX.search(user):
        return "bot"
    return "registered"


def _read_population_gold(f: Path) -> dict[Any, Any]:
    gold: dict[Any, Any] = {}
    with f.open(encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            parts = [p.strip() for p in line.strip().split(",")]
            if len(parts) < 3:
                if line.strip():
                    raise InvalidTableError(f"{f}, line {line_no}: expected 'city, year, value'")
                continue
            value = normalize_population(parts[-1])
            if value is None:
                raise InvalidTableError(f"{f}, line {line_no}: {parts[-1]!r} is not a number")
            gold[f"{', '.join(parts[:-2])}_{parts[-2]}"] = value
    return gold


def load_population(
    path: PathArg = None, *, version: Literal["dafna", "wiki", "cleaned"] = "dafna"
) -> Dataset:
    """City populations from Wikipedia infobox edits (Pasternack & Roth, COLING 2010).

    Objects are city-years (``"cleveland, ohio_2000"``), sources are editors,
    values are population figures normalised by :func:`normalize_population`
    and compared for *equality* (a figure off by one is wrong, as in the
    published evaluations): the table is categorical with integer values.
    Claims whose value does not parse are dropped.

    Parameters
    ----------
    path : str or path-like, optional
        The ``truth/population`` folder; default under the data root.
    version : {"dafna", "wiki", "cleaned"}
        ``"dafna"`` (default): ``dafna_ea_version/population_claims.txt``,
        49,955 claims (the version of the DAFNA-EA comparison, whose majority
        vote scores 0.807 on its gold), gold from its ``population_truth.txt``.
        ``"wiki"``: ``population-new.txt``, 50,239 claims. ``"cleaned"``:
        ``population-new-new.txt``, 4,183 claims. The latter two are scored
        against ``population-gd.txt``.

    Returns
    -------
    Dataset
        Scored: the gold city-years that have at least one claim (301 of 308
        for ``"dafna"``, 308 for ``"wiki"``, 277 for ``"cleaned"``). Its
        :attr:`~Dataset.source_groups` give each editor's kind,
        ``"anonymous"``, ``"registered"`` or ``"bot"``, by
        :func:`editor_kind` (from the name alone, never from the gold), for
        models with a learned reliability prior per group
        (``Corroboration(prior_groups=...)``). Its :attr:`~Dataset.copiers`
        are the bots: automated accounts that edit many pages at once
        (formatting, templates, links) and save the population figure they
        find on the page, so where another editor gives the same figure the
        bot may only have re-saved it (``Corroboration(copiers=...)``).
        :meth:`Dataset.source_settings` hands both to a model.

    References
    ----------
    J. Pasternack and D. Roth, "Knowing what to believe (when you already know
    something)", COLING 2010. D. A. Waguih and L. Berti-Equille, "Truth
    discovery algorithms: an experimental evaluation", arXiv:1409.6428, 2014
    (DAFNA-EA).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "dafna_ea_version").mkdir()
    >>> _ = (d / "dafna_ea_version" / "population_claims.txt").write_text("1|\\t|\\tgary, indiana|\\tPopulation2000|\\t102746|\\ted1|\\tnull|\\t\\n2|\\t|\\tgary, indiana|\\tPopulation2000|\\t102,764|\\ted2|\\tnull|\\t\\n")
    >>> _ = (d / "dafna_ea_version" / "population_truth.txt").write_text(
    ...     "gary, indiana, 2000, 102746\\n")
    >>> ds = load_population(d)
    >>> ds.table.claim_value.tolist(), ds.gold
    ([102746, 102764], {'gary, indiana_2000': 102746})
    """
    root = resolve(path, "truth", "population")
    src: list[str] = []
    obj: list[str] = []
    val: list[int] = []
    dropped = 0
    if version == "dafna":
        f = require(root / "dafna_ea_version", "population_claims.txt")
        gold = _read_population_gold(require(root / "dafna_ea_version", "population_truth.txt"))
        with f.open(encoding="utf-8", errors="replace") as fh:
            for line_no, line in enumerate(fh, start=1):
                parts = [p.strip() for p in line.rstrip("\r\n").split("|")]
                if len(parts) < 6:
                    if line.strip():
                        raise InvalidTableError(f"{f}, line {line_no}: expected 7 '|' fields")
                    continue
                city, prop, value, source = parts[2], parts[3], parts[4], parts[5]
                number = normalize_population(value)
                if number is None:
                    dropped += 1
                    continue
                src.append(source)
                obj.append(f"{city}_{prop.removeprefix('Population')}")
                val.append(number)
        origin = "dafna_ea_version/population_claims.txt (DAFNA-EA)"
    elif version in ("wiki", "cleaned"):
        name = "population-new.txt" if version == "wiki" else "population-new-new.txt"
        f = require(root, name)
        gold = _read_population_gold(require(root, "population-gd.txt"))
        with f.open(encoding="utf-8", errors="replace") as fh:
            for line_no, line in enumerate(fh, start=1):
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) != 4:
                    if line.strip():
                        raise InvalidTableError(
                            f"{f}, line {line_no}: has {len(parts)} tab-separated fields, "
                            "expected 4"
                        )
                    continue
                number = normalize_population(parts[2])
                if number is None:
                    dropped += 1
                    continue
                src.append(parts[1].strip())
                obj.append(parts[0].strip())
                val.append(number)
        origin = name
    else:
        raise ValueError(f"version: expected 'dafna', 'wiki' or 'cleaned', got {version!r}")
    table = Table.from_arrays(src, obj, np.asarray(val, dtype=np.int64), numeric=False)
    objects = set(table.object_ids.tolist())
    present = sum(1 for k in gold if k in objects)
    kinds = {sid: editor_kind(str(sid)) for sid in table.source_ids.tolist()}
    n_kind = {
        k: sum(1 for v in kinds.values() if v == k) for k in ("anonymous", "registered", "bot")
    }
    text = (
        f"Population (Pasternack & Roth, COLING 2010), {origin}: {table.n_assertions} "
        f"claims by {table.n_sources} Wikipedia editors on {table.n_objects} city-years "
        f"({dropped} unparsable values dropped). Values are integers (separators removed, "
        "decimals rounded) compared for equality. Source groups (editor_kind, from the "
        f"editor's name alone): {n_kind['anonymous']} anonymous (IP address), "
        f"{n_kind['registered']} registered, {n_kind['bot']} bots (declared copiers: a bot "
        "re-saves the figure it finds on the page). "
        f"Scored: the {present} of {len(gold)} gold city-years that have a claim."
    )
    bots = frozenset(sid for sid, kind in kinds.items() if kind == "bot")
    return Dataset("population", table, gold, text, root, source_groups=kinds, copiers=bots)


_TIME = re.compile(r"(\d{1,2}):(\d{2})\s*(a\.?\s*m\.?|p\.?\s*m\.?|noon|a|p)?", re.IGNORECASE)

FLIGHT_ATTRIBUTES = ("scheduled_dept", "actual_dept", "scheduled_arrival", "actual_arrival")


def normalize_time(text: str) -> str | None:
    """A clock time as ``"HH:MM"`` (24-hour), or None when there is none.

    The first ``h:mm`` in the text is taken, with an optional ``a.m.``/
    ``p.m.`` (also ``am``, ``a``, ``P``, ``noon``) right after it; dates,
    weekdays and notes around it ("Dec 01", "(Estimated runway)",
    "Delayed") are ignored. Texts without a time ("Not Available",
    "Contact Airline", empty) are missing values.

    Examples
    --------
    >>> normalize_time("4:55 p.m."), normalize_time("16:55"), normalize_time("4:55PDec 1")
    ('16:55', '16:55', '16:55')
    >>> normalize_time("12:10 a.m. (Estimated runway)"), normalize_time("12:05noon")
    ('00:10', '12:05')
    >>> normalize_time("Contact Airline") is None
    True
    """
    m = _TIME.search(text)
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    half = (m.group(3) or "").lower()
    if hour > 23 or minute > 59:
        return None
    if half.startswith("p") and hour < 12:
        hour += 12
    elif half.startswith("a") and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}"


def load_flights(path: PathArg = None) -> Dataset:
    """Departure and arrival times of 100 flights on 2011-12-01 from 38 web sources.

    ``dirty.csv`` holds what each source said (``src, flight`` and four time
    attributes); ``clean.csv`` the same rows with the true values. Each
    (flight, attribute) pair is one object, written ``"AA-1007-MIA-PHX
    actual_dept"``; times are normalised by :func:`normalize_time` to
    ``HH:MM``, so "4:55 p.m." and "16:55" agree; cells without a time assert
    nothing.

    Parameters
    ----------
    path : str or path-like, optional
        The ``truth/flights`` folder; default under the data root.

    Returns
    -------
    Dataset
        Scored: the 400 gold values (100 flights x 4 attributes) from
        ``clean.csv``, normalised the same way; right when the fused time
        equals the gold time.

    References
    ----------
    X. Li, X. L. Dong, K. Lyons, W. Meng and D. Srivastava, "Truth finding on
    the deep web: is the problem solved?", PVLDB 6(2), 2012.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "dirty.csv").write_text(
    ...     "src,flight,scheduled_dept,actual_dept,scheduled_arrival,actual_arrival\\naa,AA-1,4:55 p.m.,5:08 p.m.,8:05 p.m.,7:55 p.m.\\nua,AA-1,16:55,,Not Available,19:55\\n")
    >>> _ = (d / "clean.csv").write_text(
    ...     "src,flight,scheduled_dept,actual_dept,scheduled_arrival,actual_arrival\\naa,AA-1,4:55 p.m.,5:08 p.m.,8:05 p.m.,7:55 p.m.\\nua,AA-1,4:55 p.m.,5:08 p.m.,8:05 p.m.,7:55 p.m.\\n")
    >>> ds = load_flights(d)
    >>> ds.table.n_assertions, ds.gold["AA-1 scheduled_dept"]
    (6, '16:55')
    """
    root = resolve(path, "truth", "flights")
    src: list[str] = []
    obj: list[str] = []
    val: list[str] = []
    raw_cells = 0
    f = require(root, "dirty.csv")
    with f.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            for attr in FLIGHT_ATTRIBUTES:
                try:
                    cell = row[attr]
                except KeyError:
                    raise InvalidTableError(f"{f}, line 1: no column {attr!r}") from None
                if cell and cell.strip():
                    raw_cells += 1
                t = normalize_time(cell or "")
                if t is None:
                    continue
                src.append(row["src"])
                obj.append(f"{row['flight']} {attr}")
                val.append(t)
    table = Table.from_arrays(src, obj, val, numeric=False)
    gold: dict[Any, Any] = {}
    g = require(root, "clean.csv")
    with g.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            for attr in FLIGHT_ATTRIBUTES:
                t = normalize_time(row[attr] or "")
                key = f"{row['flight']} {attr}"
                if t is None:
                    raise InvalidTableError(
                        f"{g}, line {reader.line_num}: gold {attr} {row[attr]!r} has no time"
                    )
                if gold.setdefault(key, t) != t:
                    raise InvalidTableError(
                        f"{g}, line {reader.line_num}: {key} has gold {gold[key]} and {t}"
                    )
    objects = set(table.object_ids.tolist())
    present = sum(1 for k in gold if k in objects)
    text = (
        f"Flights (Li et al., PVLDB 2012), 2011-12-01 subset: {table.n_assertions} times "
        f"from {table.n_sources} sources on {table.n_objects} (flight, attribute) objects "
        f"({raw_cells - table.n_assertions} non-empty cells without a time, such as "
        "'Not Available', or superseded duplicates, not counted). Times normalised to "
        "24-hour HH:MM by normalize_time. "
        f"Scored: the {present} gold values (flights x 4 time attributes) from clean.csv."
    )
    return Dataset("flights", table, gold, text, root)
