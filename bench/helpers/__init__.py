"""Pieces the benchmark scripts share (bench/helpers/loopback.py)."""
