"""Benchmarks: on this computer with LiteRT (host.py), on an Android phone with benchmark_model over adb
(device.py, adb.py, parse.py), reported as a table, a JSON file and a history (report.py).

Import the submodules directly; nothing here loads LiteRT or TensorFlow at import time.
"""
