"""The one place that imports ai_edge_litert: load a model, read its contract, run it, decode its output."""
