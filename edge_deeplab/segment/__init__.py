"""Segment photos with a finished model: class ids, the person probability and a portrait-mode composite.

`edge-deeplab predict` is the command; `edge_deeplab.predict(model, image)` the same from Python
(segment/predict.py). It runs a model the way `evaluate` does (evaluate/runners.py opens it,
evaluate/inference.py resizes to and from each photo's own size), so a photo's mask here is the
mask `evaluate` scores.
"""
