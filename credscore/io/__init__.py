"""Reading and writing cases: the JSON case file, spreadsheets of reports.

:mod:`~credscore.io.casefile` is the JSON case format (:doc:`/reference/case-format`),
:mod:`~credscore.io.casetables` the CSV tables of a case.
"""
