"""Reference data seeds, the built grids and the demo city (data/demo.py)."""
