package org.edgedeeplab.portrait.core;

import java.nio.ByteBuffer;

/**
 * The model's raw output tensor -> a person alpha (portrait mode) or a label map, for each output
 * kind of the contract. The Java twin of edge_deeplab/deploy/postprocess.py; the parity test checks
 * one against the other on real TFLite outputs.
 *
 * <ul>
 *   <li>logits: alpha = softmax probability of the person class; labels = argmax.</li>
 *   <li>probabilities: alpha = the person probability; labels = argmax.</li>
 *   <li>label_map: alpha = 1 where the class is person, else 0; labels passed through.</li>
 *   <li>person_alpha: alpha = the value clamped to [0, 1]; labels = person where alpha >= 0.5, else the
 *       first other class.</li>
 * </ul>
 * Quantised outputs are dequantised first, {@code (q - zeroPoint) * scale}. Ties in argmax go to the
 * lowest class id, as numpy's argmax does. The buffer is read with absolute gets in its own byte
 * order (the interpreter's native order on a phone).
 */
public final class OutputDecoder {
    private OutputDecoder() {
    }

    /** Element {@code index} of the tensor as a real number. */
    public static float value(ByteBuffer raw, TensorSpec spec, int index) {
        switch (spec.type) {
            case FLOAT32:
                return raw.getFloat(index * 4);
            case UINT8:
                return dequantize(raw.get(index) & 0xFF, spec);
            case INT8:
                return dequantize(raw.get(index), spec);
            case INT32:
                return dequantize(raw.getInt(index * 4), spec);
            case INT64:
                return raw.getLong(index * 8);
            default:
                throw new IllegalStateException();
        }
    }

    private static float dequantize(int q, TensorSpec spec) {
        return spec.isQuantized() ? (q - spec.zeroPoint) * spec.scale : q;
    }

    /** Class id at pixel {@code index} of a label map. */
    public static int label(ByteBuffer raw, TensorSpec spec, int index) {
        switch (spec.type) {
            case INT32:
                return raw.getInt(index * 4);
            case INT64:
                return (int) raw.getLong(index * 8);
            case UINT8:
                return raw.get(index) & 0xFF;
            case INT8:
                return raw.get(index);
            default:
                throw new IllegalStateException("a label map is an integer tensor, not " + spec.type);
        }
    }

    /** Person alpha in [0, 1] per output pixel, row-major, into {@code out} (outputHeight * outputWidth). */
    public static void personAlpha(ByteBuffer raw, ModelIo io, float[] out) {
        int pixels = io.outputHeight * io.outputWidth;
        requireLength(out.length, pixels);
        int person = io.contract.portraitClass();
        int classes = io.outputChannels;
        TensorSpec spec = io.output;
        switch (io.contract.outputKind) {
            case LOGITS:
                for (int i = 0; i < pixels; i++) {
                    out[i] = softmaxAt(raw, spec, i * classes, classes, person);
                }
                break;
            case PROBABILITIES:
                for (int i = 0; i < pixels; i++) {
                    out[i] = clamp01(value(raw, spec, i * classes + person));
                }
                break;
            case LABEL_MAP:
                for (int i = 0; i < pixels; i++) {
                    out[i] = label(raw, spec, i) == person ? 1f : 0f;
                }
                break;
            case PERSON_ALPHA:
                for (int i = 0; i < pixels; i++) {
                    out[i] = clamp01(value(raw, spec, i));
                }
                break;
            default:
                throw new IllegalStateException();
        }
    }

    /** Class id per output pixel, row-major, into {@code out} (outputHeight * outputWidth). */
    public static void labelMap(ByteBuffer raw, ModelIo io, int[] out) {
        int pixels = io.outputHeight * io.outputWidth;
        requireLength(out.length, pixels);
        int classes = io.outputChannels;
        TensorSpec spec = io.output;
        switch (io.contract.outputKind) {
            case LOGITS:
            case PROBABILITIES:
                for (int i = 0; i < pixels; i++) {
                    out[i] = argmaxAt(raw, spec, i * classes, classes);
                }
                break;
            case LABEL_MAP:
                for (int i = 0; i < pixels; i++) {
                    out[i] = label(raw, spec, i);
                }
                break;
            case PERSON_ALPHA:
                int person = io.contract.portraitClass();
                int background = io.contract.backgroundClass();
                for (int i = 0; i < pixels; i++) {
                    out[i] = clamp01(value(raw, spec, i)) >= 0.5f ? person : background;
                }
                break;
            default:
                throw new IllegalStateException();
        }
    }

    /** softmax(scores)[target] over the {@code count} scores starting at element {@code start}. */
    static float softmaxAt(ByteBuffer raw, TensorSpec spec, int start, int count, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < count; c++) {
            max = Math.max(max, value(raw, spec, start + c));
        }
        double sum = 0;
        double picked = 0;
        for (int c = 0; c < count; c++) {
            double e = Math.exp(value(raw, spec, start + c) - max);
            sum += e;
            if (c == target) {
                picked = e;
            }
        }
        return (float) (picked / sum);
    }

    static int argmaxAt(ByteBuffer raw, TensorSpec spec, int start, int count) {
        int best = 0;
        float bestValue = value(raw, spec, start);
        for (int c = 1; c < count; c++) {
            float v = value(raw, spec, start + c);
            if (v > bestValue) { // strictly greater: ties keep the lowest id, as numpy's argmax
                best = c;
                bestValue = v;
            }
        }
        return best;
    }

    static float clamp01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }

    private static void requireLength(int have, int need) {
        if (have < need) {
            throw new IllegalArgumentException("output array holds " + have + " values, need " + need);
        }
    }
}
