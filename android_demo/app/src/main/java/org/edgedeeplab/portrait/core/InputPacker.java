package org.edgedeeplab.portrait.core;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * RGB pixels at the model's input size -> the input tensor's bytes, with the contract's
 * normalisation and the tensor's own quantisation.
 *
 * <p>The arithmetic is edge_deeplab's, step for step in float32, so the bytes are the ones the Python
 * evaluator feeds the same model: {@code x = (pixel - mean) / std}; a quantised tensor takes
 * {@code q = round_half_even(x / scale + zeroPoint)} clamped to its type's range (numpy's round and
 * clip in evaluate/runners.py quantize()).
 */
public final class InputPacker {
    private InputPacker() {
    }

    /** A direct, native-order buffer for this tensor (the parity test compares its bytes with Python's). */
    public static ByteBuffer allocate(TensorSpec spec) {
        return ByteBuffer.allocateDirect(spec.byteSize()).order(ByteOrder.nativeOrder());
    }

    /**
     * Packs {@code argb} (Android's ARGB_8888 ints, row-major, {@code width} x {@code height}) into
     * {@code out} from index 0, and rewinds it.
     */
    public static void pack(int[] argb, int width, int height, ModelContract contract, TensorSpec spec,
                            ByteBuffer out) {
        if (width != contract.inputWidth || height != contract.inputHeight) {
            throw new IllegalArgumentException("image is " + width + "x" + height + " but the model takes "
                    + contract.inputWidth + "x" + contract.inputHeight);
        }
        if (argb.length < width * height) {
            throw new IllegalArgumentException("pixel array holds " + argb.length + " pixels, need " + width * height);
        }
        if (out.capacity() < spec.byteSize()) {
            throw new IllegalArgumentException("input buffer holds " + out.capacity() + " bytes, need " + spec.byteSize());
        }
        float[] mean = contract.mean;
        float[] std = contract.std;
        int pixels = width * height;
        // Through Buffer: ByteBuffer.rewind() returning ByteBuffer does not exist before Android 9.
        ((Buffer) out).rewind();
        switch (spec.type) {
            case FLOAT32:
                for (int i = 0; i < pixels; i++) {
                    int p = argb[i];
                    out.putFloat(((p >> 16 & 0xFF) - mean[0]) / std[0]);
                    out.putFloat(((p >> 8 & 0xFF) - mean[1]) / std[1]);
                    out.putFloat(((p & 0xFF) - mean[2]) / std[2]);
                }
                break;
            case UINT8:
            case INT8:
                int low = spec.type == TensorSpec.Type.UINT8 ? 0 : -128;
                int high = spec.type == TensorSpec.Type.UINT8 ? 255 : 127;
                for (int i = 0; i < pixels; i++) {
                    int p = argb[i];
                    out.put(quantize(((p >> 16 & 0xFF) - mean[0]) / std[0], spec, low, high));
                    out.put(quantize(((p >> 8 & 0xFF) - mean[1]) / std[1], spec, low, high));
                    out.put(quantize(((p & 0xFF) - mean[2]) / std[2], spec, low, high));
                }
                break;
            default:
                throw new ContractException("input type " + spec.type + " is not float32, uint8 or int8");
        }
        ((Buffer) out).rewind();
    }

    static byte quantize(float x, TensorSpec spec, int low, int high) {
        // An integer input without quantisation takes the value as it is, truncated as numpy's astype
        // does (a model fed raw pixels: mean 0, std 1).
        float q = spec.isQuantized() ? (float) Math.rint(x / spec.scale + spec.zeroPoint) : (float) (long) x;
        int clamped = (int) Math.max(low, Math.min(high, q));
        return (byte) clamped;
    }
}
