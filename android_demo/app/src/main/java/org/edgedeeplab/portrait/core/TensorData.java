package org.edgedeeplab.portrait.core;

/**
 * A tensor's elements as LiteRT's TensorBuffer reads and writes them: {@code float[]} for a float32
 * tensor ({@code writeFloat} / {@code readFloat}), {@code byte[]} for an int8 or uint8 one
 * ({@code writeInt8} / {@code readInt8}, the same bits for both). Exactly one array is set.
 */
public final class TensorData {
    public final TensorSpec spec;
    /** The float32 elements; LiteRT's readFloat() hands back a new array, which replaces this one. */
    public float[] floats;
    /** The int8 / uint8 elements, same rules. */
    public byte[] bytes;

    public TensorData(TensorSpec spec) {
        this.spec = spec;
        if (spec.type == TensorSpec.Type.FLOAT32) {
            floats = new float[spec.elementCount()];
        } else if (spec.type == TensorSpec.Type.INT8 || spec.type == TensorSpec.Type.UINT8) {
            bytes = new byte[spec.elementCount()];
        } else {
            throw new ContractException("tensor type " + spec.type + " is not float32, int8 or uint8: "
                    + "re-export the model");
        }
    }

    /** Element {@code index} as a real number (dequantised: {@code (q - zeroPoint) * scale}). */
    public float value(int index) {
        if (floats != null) {
            return floats[index];
        }
        int q = spec.type == TensorSpec.Type.UINT8 ? bytes[index] & 0xFF : bytes[index];
        return spec.isQuantized() ? (q - spec.zeroPoint) * spec.scale : q;
    }
}
