"""The version of gdcore, read by the build (pyproject.toml) and by ``gdcore --version``."""

__version__ = "0.1.0"
