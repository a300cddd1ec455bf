"""Geography for CityOps: unit grids, the point-to-grid index and datum conversion.

A pure package: it imports nothing else from CityOps (and no web or database library), so every
layer above may use it and it can be tested and benchmarked on its own. All coordinates that leave
this package are WGS84 longitude/latitude.
"""
