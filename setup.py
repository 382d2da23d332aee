"""Build hook: compiles native/ through cffi at install time (metadata lives in pyproject.toml)."""

from setuptools import setup

setup(cffi_modules=["native/build_kernels.py:ffibuilder"])
