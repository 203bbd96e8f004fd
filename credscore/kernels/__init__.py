"""Array kernels behind the models, in numpy and (optionally) numba.

:mod:`~credscore.kernels.segments` holds the segment operations every table
model uses and the backend switch (``CREDSCORE_KERNELS``, :func:`set_backend`);
:mod:`~credscore.kernels.codes` compiles raw columns to integer codes; the other
modules are the kernels of one model family each. Nothing here knows a case, a
table or a model: kernels take arrays and return arrays.
"""
