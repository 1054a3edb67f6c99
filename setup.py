"""The compiled scan kernels (kv/_kernels.pyx); everything else is in pyproject.toml.

The extension is optional: without a compiler db9 runs the same loops in Python
(kv/kernels.py) with identical results.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("kv._kernels", ["kv/_kernels.pyx"], optional=True)],
        compiler_directives={"language_level": "3"},
    )
)
