"""Deploy: put an exported model where an app reads it, and the post-processing the app mirrors.

postprocess: the model's raw output -> probabilities, a label map or a person alpha, for each output
kind of the contract (the Android demo's OutputDecoder.java is its twin, checked by a parity test).
android: `edge-deeplab export-android MODEL` validates a .tflite and its contract and installs it in
the Android demo's assets.
"""
