package org.edgedeeplab.portrait.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads a named metadata buffer out of a .tflite flatbuffer, by hand with java.nio.
 *
 * <p>The contract travels inside the model as {@code Model.metadata[i] = {name, buffer}} pointing at
 * {@code Model.buffers[buffer].data} (tensorflow/compiler/mlir/lite/schema/schema.fbs). Reading it
 * here needs no flatbuffers or metadata library, so the same code runs in the app and on the JVM.
 *
 * <p>Flatbuffer layout, all little-endian: the file starts with the root table's uoffset and the
 * identifier "TFL3"; a table starts with an soffset back to its vtable; the vtable lists, per field,
 * the field's offset inside the table (0 = absent); a vector is a uint32 length and its elements,
 * referenced by a uoffset relative to where that uoffset is stored.
 */
public final class TfliteMetadata {
    /** edge_deeplab/contract.py TFLITE_METADATA_NAME. */
    public static final String CONTRACT_NAME = "edge_deeplab_contract";

    private static final String IDENTIFIER = "TFL3";
    // Field numbers in schema.fbs.
    private static final int MODEL_BUFFERS = 4;
    private static final int MODEL_METADATA = 6;
    private static final int METADATA_NAME = 0;
    private static final int METADATA_BUFFER = 1;
    private static final int BUFFER_DATA = 0;
    private static final int BUFFER_OFFSET = 1;
    private static final int BUFFER_SIZE = 2;

    private TfliteMetadata() {
    }

    /** The model's contract; a ContractException naming the fix when it is missing or invalid. */
    public static ModelContract readContract(ByteBuffer model) {
        byte[] json = find(model, CONTRACT_NAME);
        if (json == null) {
            throw new ContractException("the model carries no " + CONTRACT_NAME + " metadata: export it with "
                    + "`edge-deeplab export` and install it with `edge-deeplab export-android MODEL`");
        }
        return ModelContract.fromJson(new String(json, StandardCharsets.UTF_8));
    }

    /**
     * The bytes of the metadata buffer called {@code name}, or null when the model has none.
     * Index 0 of {@code model} must be the first byte of the .tflite file; its position is ignored.
     */
    public static byte[] find(ByteBuffer model, String name) {
        ByteBuffer b = model.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (b.limit() < 8 || !IDENTIFIER.equals(ascii(b, 4, 4))) {
                throw new ContractException("the model file is not a TFLite flatbuffer (no TFL3 identifier): "
                        + "install a .tflite with `edge-deeplab export-android MODEL`");
            }
            int root = target(b, 0);
            int metadata = field(b, root, MODEL_METADATA);
            if (metadata == 0) {
                return null;
            }
            int entries = target(b, metadata);
            int count = vectorLength(b, entries, 4);
            for (int i = 0; i < count; i++) {
                int entry = target(b, entries + 4 + 4 * i);
                int nameField = field(b, entry, METADATA_NAME);
                if (nameField == 0 || !name.equals(string(b, target(b, nameField)))) {
                    continue;
                }
                int bufferField = field(b, entry, METADATA_BUFFER);
                long bufferIndex = bufferField == 0 ? 0 : b.getInt(bufferField) & 0xFFFFFFFFL;
                return bufferBytes(b, root, bufferIndex);
            }
            return null;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new ContractException("the model file is a damaged TFLite flatbuffer (" + e.getClass().getSimpleName()
                    + "): install it again with `edge-deeplab export-android MODEL`");
        }
    }

    private static byte[] bufferBytes(ByteBuffer b, int root, long index) {
        int buffers = field(b, root, MODEL_BUFFERS);
        if (buffers == 0) {
            throw new IllegalArgumentException("no buffers");
        }
        int vector = target(b, buffers);
        if (index >= vectorLength(b, vector, 4)) {
            throw new IllegalArgumentException("buffer index out of range");
        }
        int buffer = target(b, vector + 4 + 4 * (int) index);
        // Models over 2 GB keep buffers after the flatbuffer: offset and size from the file's start.
        int offsetField = field(b, buffer, BUFFER_OFFSET);
        long offset = offsetField == 0 ? 0 : b.getLong(offsetField);
        if (offset > 1) {
            int sizeField = field(b, buffer, BUFFER_SIZE);
            long size = sizeField == 0 ? 0 : b.getLong(sizeField);
            if (offset + size > b.limit()) {
                throw new IndexOutOfBoundsException("buffer beyond the end of the file");
            }
            return copy(b, (int) offset, (int) size);
        }
        int dataField = field(b, buffer, BUFFER_DATA);
        if (dataField == 0) {
            return new byte[0];
        }
        int data = target(b, dataField);
        return copy(b, data + 4, vectorLength(b, data, 1));
    }

    /** Absolute position of a field of the table at {@code table}, or 0 when the field is absent. */
    private static int field(ByteBuffer b, int table, int fieldNumber) {
        int vtable = table - b.getInt(table);
        int vtableSize = b.getShort(vtable) & 0xFFFF;
        int slot = 4 + 2 * fieldNumber;
        if (slot + 2 > vtableSize) {
            return 0;
        }
        int offset = b.getShort(vtable + slot) & 0xFFFF;
        return offset == 0 ? 0 : table + offset;
    }

    /** Follows the uoffset stored at {@code at}. */
    private static int target(ByteBuffer b, int at) {
        long to = (long) at + (b.getInt(at) & 0xFFFFFFFFL);
        if (to >= b.limit()) {
            throw new IndexOutOfBoundsException("offset beyond the end of the file");
        }
        return (int) to;
    }

    private static int vectorLength(ByteBuffer b, int vector, int elementBytes) {
        long length = b.getInt(vector) & 0xFFFFFFFFL;
        if (vector + 4 + length * elementBytes > b.limit()) {
            throw new IndexOutOfBoundsException("vector beyond the end of the file");
        }
        return (int) length;
    }

    private static String string(ByteBuffer b, int at) {
        return new String(copy(b, at + 4, vectorLength(b, at, 1)), StandardCharsets.UTF_8);
    }

    private static String ascii(ByteBuffer b, int at, int length) {
        return new String(copy(b, at, length), StandardCharsets.US_ASCII);
    }

    private static byte[] copy(ByteBuffer b, int at, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = b.get(at + i);
        }
        return out;
    }
}
