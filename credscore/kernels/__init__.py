"""Array kernels behind the models, in numpy and (optionally) numba.

:mod:`~credscore.kernels.backend` is the one switch between numpy and numba
(``CREDSCORE_KERNELS``, :func:`~credscore.kernels.backend.set_backend`) and the one place numba is
loaded; :mod:`~credscore.kernels.segments` holds the segment operations every
table model uses; :mod:`~credscore.kernels.codes` compiles raw columns to
integer codes; the other modules are the kernels of one model family each.
Nothing here knows a case, a table or a model: kernels take arrays and
return arrays.
"""
