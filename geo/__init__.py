"""Salvo core: canonical events, weapon catalogue, oblasts, importers, store, maps, charts.

Nothing in this package imports streamlit; pages and ``ui/`` call into it.
"""
