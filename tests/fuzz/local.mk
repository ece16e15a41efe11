# fuzz targets; their corpus is replayed by make check
