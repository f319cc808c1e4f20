package org.edgedeeplab.portrait.core;

import java.util.Arrays;

/**
 * A tensor's type, shape and quantisation, as LiteRT reported them to export-android (models.json)
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

        /** The type's name as models.json writes it (numpy's dtype name in capitals, e.g. "FLOAT32"). */
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

    /** A tensor of models.json, as edge_deeplab/deploy/android.py writes it: type, shape, scale, zero_point. */
    public static TensorSpec fromJson(org.json.JSONObject tensor) {
        try {
            org.json.JSONArray dims = tensor.getJSONArray("shape");
            int[] shape = new int[dims.length()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.getInt(i);
            }
            return new TensorSpec(Type.fromName(tensor.getString("type")), shape, (float) tensor.getDouble("scale"),
                    tensor.getInt("zero_point"));
        } catch (org.json.JSONException e) {
            throw new ContractException("models.json describes a tensor without its " + e.getMessage()
                    + ": install the models again with `edge-deeplab export-android`");
        }
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
