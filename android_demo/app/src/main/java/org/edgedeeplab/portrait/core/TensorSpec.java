package org.edgedeeplab.portrait.core;

import java.util.Arrays;

/**
 * A tensor's type, shape and quantisation, as the interpreter reports them
 * ({@code Tensor.dataType()}, {@code shape()}, {@code quantizationParams()}).
 *
 * <p>Quantised values relate to real ones by {@code real = (q - zeroPoint) * scale}; a scale of 0
 * means the tensor is not quantised.
 */
public final class TensorSpec {
    /** The tensor types the demo handles (LiteRT's DataType names). */
    public enum Type {
        FLOAT32(4), INT32(4), UINT8(1), INT64(8), INT8(1);

        public final int bytes;

        Type(int bytes) {
            this.bytes = bytes;
        }

        /** LiteRT's DataType name (e.g. "FLOAT32"), for the wrapper around org.tensorflow.lite.Tensor. */
        public static Type fromName(String name) {
            for (Type type : values()) {
                if (type.name().equals(name)) {
                    return type;
                }
            }
            throw new ContractException("tensor type " + name + " is not handled by this app (float32, int8, "
                    + "uint8, int32, int64): re-export the model");
        }
    }

    public final Type type;
    public final int[] shape;
    public final float scale;
    public final int zeroPoint;

    public TensorSpec(Type type, int[] shape, float scale, int zeroPoint) {
        this.type = type;
        this.shape = shape.clone();
        this.scale = scale;
        this.zeroPoint = zeroPoint;
    }

    public static TensorSpec float32(int... shape) {
        return new TensorSpec(Type.FLOAT32, shape, 0f, 0);
    }

    public boolean isQuantized() {
        return type != Type.FLOAT32 && scale != 0f;
    }

    public int elementCount() {
        int count = 1;
        for (int d : shape) {
            count *= d;
        }
        return count;
    }

    public int byteSize() {
        return elementCount() * type.bytes;
    }

    /** Size of axis {@code i} counted from the end (-1 = last), or 1 if the tensor has fewer axes. */
    public int dimFromEnd(int i) {
        int index = shape.length + i;
        return index >= 0 ? shape[index] : 1;
    }

    @Override
    public String toString() {
        String q = isQuantized() ? " scale " + scale + " zero point " + zeroPoint : "";
        return type.name().toLowerCase(java.util.Locale.ROOT) + Arrays.toString(shape) + q;
    }
}
