"""Deploy: put an exported model where an app reads it.

The post-processing the app mirrors (OutputDecoder.java, checked by a parity test) is
edge_deeplab.litert.outputs.
android: `edge-deeplab export-android MODEL` validates a .tflite and its contract and installs it in
the Android demo's assets.
"""
