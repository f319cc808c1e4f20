package org.edgedeeplab.portrait.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the part of a .tflite flatbuffer the metadata reader walks (Model.version, buffers,
 * metadata), laid out front to back with every offset patched by hand, so the reader is tested
 * against the format itself rather than against a library's reading of it. Real converter output
 * is covered by the parity test.
 */
final class TinyTflite {
    private final ByteBuffer out = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private final Map<String, byte[]> metadata = new LinkedHashMap<>();
    private boolean external = false;
    private String identifier = "TFL3";

    TinyTflite metadata(String name, String text) {
        metadata.put(name, text.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Store metadata bytes after the flatbuffer, as offset/size (the >2 GB model layout). */
    TinyTflite external() {
        external = true;
        return this;
    }

    TinyTflite identifier(String id) {
        identifier = id;
        return this;
    }

    byte[] build() {
        int rootSlot = reserve();
        out.put(identifier.getBytes(StandardCharsets.US_ASCII));
        // Model vtable: 7 fields (version .. metadata); only version(0), buffers(4), metadata(6) present.
        int modelVtable = out.position();
        short[] fields = {4, 0, 0, 0, 8, 0, 12};
        out.putShort((short) (4 + 2 * fields.length)).putShort((short) 16);
        for (short f : fields) out.putShort(f);
        align(4);
        int model = out.position();
        patch(rootSlot, model);
        out.putInt(model - modelVtable);
        out.putInt(3); // schema version
        int buffersSlot = reserve();
        int metadataSlot = reserve();

        // Buffers: 0 is the empty sentinel, then one per metadata entry.
        byte[][] payloads = metadata.values().toArray(new byte[0][]);
        patch(buffersSlot, out.position());
        out.putInt(payloads.length + 1);
        int[] bufferSlots = new int[payloads.length + 1];
        for (int i = 0; i < bufferSlots.length; i++) bufferSlots[i] = reserve();
        patch(bufferSlots[0], emptyTable());
        int[] offsetSlots = new int[payloads.length];
        for (int i = 0; i < payloads.length; i++) {
            if (external) {
                // Buffer vtable with data absent, offset and size present (both ulong).
                int vtable = out.position();
                out.putShort((short) 10).putShort((short) 20).putShort((short) 0).putShort((short) 4).putShort((short) 12);
                align(4);
                int table = out.position();
                patch(bufferSlots[i + 1], table);
                out.putInt(table - vtable);
                offsetSlots[i] = out.position();
                out.putLong(0).putLong(payloads[i].length);
            } else {
                // Buffer vtable with only the data field: offset/size lie beyond it, so read as absent.
                int vtable = out.position();
                out.putShort((short) 6).putShort((short) 8).putShort((short) 4);
                align(4);
                int table = out.position();
                patch(bufferSlots[i + 1], table);
                out.putInt(table - vtable);
                int dataSlot = reserve();
                patch(dataSlot, out.position());
                out.putInt(payloads[i].length).put(payloads[i]);
                align(4);
            }
        }

        // Metadata entries: {name, buffer}.
        patch(metadataSlot, out.position());
        out.putInt(payloads.length);
        int[] entrySlots = new int[payloads.length];
        for (int i = 0; i < payloads.length; i++) entrySlots[i] = reserve();
        int i = 0;
        for (String name : metadata.keySet()) {
            int vtable = out.position();
            out.putShort((short) 8).putShort((short) 12).putShort((short) 4).putShort((short) 8);
            int table = out.position();
            patch(entrySlots[i], table);
            out.putInt(table - vtable);
            int nameSlot = reserve();
            out.putInt(i + 1); // buffer index
            patch(nameSlot, out.position());
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            out.putInt(bytes.length).put(bytes).put((byte) 0);
            align(4);
            i++;
        }
        if (external) {
            align(16);
            for (int k = 0; k < payloads.length; k++) {
                out.putLong(offsetSlots[k], out.position());
                out.put(payloads[k]);
            }
        }
        byte[] result = new byte[out.position()];
        out.flip();
        out.get(result);
        return result;
    }

    private int emptyTable() {
        int vtable = out.position();
        out.putShort((short) 4).putShort((short) 4);
        int table = out.position();
        out.putInt(table - vtable);
        return table;
    }

    private int reserve() {
        int at = out.position();
        out.putInt(0);
        return at;
    }

    private void patch(int slot, int target) {
        out.putInt(slot, target - slot);
    }

    private void align(int n) {
        while (out.position() % n != 0) out.put((byte) 0);
    }
}
