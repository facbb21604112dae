"""Benchmarks for SocialDesk: `make bench [BENCH=area]` runs `python -m bench [area]`.

Each module `bench/<area>.py` (names starting with `_` are helpers) exposes `run() -> dict[str,
float]`; the harness in `__main__.py` prepares Django and a scratch database, runs the areas,
prints a table and writes `var/bench/<area>.json`.
"""
