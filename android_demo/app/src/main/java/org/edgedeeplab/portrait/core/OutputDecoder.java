package org.edgedeeplab.portrait.core;

/**
 * The model's output -> a person alpha in [0, 1] at the model's output resolution. The Java twin of
 * edge_deeplab/litert/outputs.py's person_alpha for the two kinds the app runs; the parity test checks
 * one against the other on real LiteRT outputs.
 *
 * <ul>
 *   <li>probabilities: alpha = the person class's probability;</li>
 *   <li>person_alpha: alpha = the value.</li>
 * </ul>
 * Both clamped to [0, 1]; quantised outputs dequantised first. No softmax: a logits model is refused
 * at start-up (ModelIo), and `edge-deeplab export-android` appends the softmax to the model instead.
 */
public final class OutputDecoder {
    private OutputDecoder() {
    }

    /** Person alpha per output pixel, row-major, into {@code out} (outputHeight * outputWidth). */
    public static void personAlpha(TensorData raw, ModelIo io, float[] out) {
        int pixels = io.outputHeight * io.outputWidth;
        if (out.length < pixels) {
            throw new IllegalArgumentException("output array holds " + out.length + " values, need " + pixels);
        }
        int classes = io.outputChannels;
        int offset = io.contract.outputKind == OutputKind.PERSON_ALPHA ? 0 : io.contract.portraitClass();
        float[] floats = raw.floats;
        if (floats != null) { // the common case, a float32 output: no per-element dispatch
            for (int i = 0; i < pixels; i++) {
                out[i] = clamp01(floats[i * classes + offset]);
            }
            return;
        }
        for (int i = 0; i < pixels; i++) {
            out[i] = clamp01(raw.value(i * classes + offset));
        }
    }

    static float clamp01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }
}
