"""Benchmark cases, one module per family, named as the family's folder."""
