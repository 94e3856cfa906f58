"""Product-data explorer library: query parsing, fetching, parsing, models, charts.

Nothing in here imports Streamlit except lib/ui.py.
"""
