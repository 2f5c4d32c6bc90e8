"""Benchmarks for issue 5 (interactive at a million events). See docs/benchmarks.md.

``python -m bench.run`` (server side, N = 10k/100k/1M) and ``python -m bench.browser``
(headless Debian chromium against ``streamlit run``). Nothing here runs in CI.
"""
