package org.edgedeeplab.portrait.core;

import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * A camera frame straight into the model's input: CameraX's RGBA_8888 analysis buffer, turned upright
 * (rotated by the frame's rotation, mirrored for the front camera), resized to the model's input size
 * and normalised, in one pass with no Bitmap and no per-frame allocation.
 *
 * <p>The numbers are exactly those of {@link ImageResize#argb} on the upright frame followed by
 * {@link InputPacker#pack} (bilinear, half-pixel centres, each channel rounded to 0..255 as OpenCV's
 * INTER_LINEAR does, then {@code (x - mean) / std} and the tensor's quantisation), which the parity test
 * holds to Python's evaluator. Rotation and mirroring only change where each tap is read: the taps are
 * worked out once per frame geometry, as byte offsets split into a column part and a row part.
 */
public final class FrameSampler {
    private final int outW;
    private final int outH;
    // Per output column / row: the two taps' byte offsets (column part + row part) and the second tap's weight.
    private final int[] col0;
    private final int[] col1;
    private final float[] colWeight;
    private final int[] row0;
    private final int[] row1;
    private final float[] rowWeight;
    private final int[] taps0;
    private final int[] taps1;
    private final float[] tapWeight;
    private byte[] pixels = new byte[0];
    /** (v - mean[k]) / std[k] at index k * 256 + v: a table load instead of a division per channel. */
    private final float[] floatTable = new float[3 * 256];
    private byte[] byteTable;
    private TensorSpec byteTableSpec;
    private int geometry = 0;
    private boolean ready = false;

    public FrameSampler(ModelContract contract) {
        outW = contract.inputWidth;
        outH = contract.inputHeight;
        col0 = new int[outW];
        col1 = new int[outW];
        colWeight = new float[outW];
        row0 = new int[outH];
        row1 = new int[outH];
        rowWeight = new float[outH];
        int longest = Math.max(outW, outH);
        taps0 = new int[longest];
        taps1 = new int[longest];
        tapWeight = new float[longest];
        for (int k = 0; k < 3; k++) {
            for (int v = 0; v < 256; v++) {
                floatTable[k << 8 | v] = (v - contract.mean[k]) / contract.std[k];
            }
        }
    }

    /**
     * Samples {@code rgba} ({@code width} x {@code height} as the sensor delivers it, 4 bytes a pixel,
     * {@code rowStride} bytes a row) into {@code out}, the input tensor. {@code rotationDegrees}: how far
     * to turn the frame clockwise to make it upright (ImageInfo.getRotationDegrees()); {@code mirror}: flip
     * the upright frame left-right, as the front camera's preview shows it.
     */
    public void sample(ByteBuffer rgba, int width, int height, int rowStride, int rotationDegrees, boolean mirror,
                       TensorData out) {
        prepare(width, height, rowStride, rotationDegrees, mirror);
        // One bulk copy into a byte[] kept between frames, then plain array reads: twelve bounds-checked
        // buffer reads per output pixel cost more than the copy. Absolute position moves, restored after,
        // because a duplicate() or a typed view would be a new object every frame.
        int saved = rgba.position();
        ((Buffer) rgba).position(0);
        rgba.get(pixels, 0, rowStride * (height - 1) + width * 4);
        ((Buffer) rgba).position(saved);
        if (out.floats != null) {
            sampleFloats(out.floats);
        } else {
            sampleBytes(out.bytes, out.spec);
        }
    }

    private void sampleFloats(float[] out) {
        float[] table = floatTable;
        byte[] src = pixels;
        int o = 0;
        for (int y = 0; y < outH; y++) {
            int r0 = row0[y];
            int r1 = row1[y];
            float wy = rowWeight[y];
            for (int x = 0; x < outW; x++) {
                int c0 = col0[x];
                int c1 = col1[x];
                float wx = colWeight[x];
                int a = r0 + c0;
                int b = r0 + c1;
                int c = r1 + c0;
                int d = r1 + c1;
                for (int k = 0; k < 3; k++) { // R, G, B: the byte order of RGBA_8888
                    int v = mix(src[a + k] & 0xFF, src[b + k] & 0xFF, src[c + k] & 0xFF, src[d + k] & 0xFF, wx, wy);
                    out[o + k] = table[k << 8 | v];
                }
                o += 3;
            }
        }
    }

    private void sampleBytes(byte[] out, TensorSpec spec) {
        byte[] table = byteTable(spec);
        byte[] src = pixels;
        int o = 0;
        for (int y = 0; y < outH; y++) {
            int r0 = row0[y];
            int r1 = row1[y];
            float wy = rowWeight[y];
            for (int x = 0; x < outW; x++) {
                int c0 = col0[x];
                int c1 = col1[x];
                float wx = colWeight[x];
                int a = r0 + c0;
                int b = r0 + c1;
                int c = r1 + c0;
                int d = r1 + c1;
                for (int k = 0; k < 3; k++) {
                    int v = mix(src[a + k] & 0xFF, src[b + k] & 0xFF, src[c + k] & 0xFF, src[d + k] & 0xFF, wx, wy);
                    out[o + k] = table[k << 8 | v];
                }
                o += 3;
            }
        }
    }

    /**
     * The tensor's value of each channel level, {@code (v - mean) / std} and then the tensor's
     * quantisation, worked out once: the same float arithmetic as InputPacker, so the same values.
     */
    private byte[] byteTable(TensorSpec spec) {
        if (byteTable == null || byteTableSpec != spec) {
            int low = spec.type == TensorSpec.Type.UINT8 ? 0 : -128;
            int high = spec.type == TensorSpec.Type.UINT8 ? 255 : 127;
            byteTable = new byte[3 * 256];
            for (int i = 0; i < byteTable.length; i++) {
                byteTable[i] = InputPacker.quantize(floatTable[i], spec, low, high);
            }
            byteTableSpec = spec;
        }
        return byteTable;
    }

    private void prepare(int width, int height, int rowStride, int rotation, boolean mirror) {
        if (rotation % 90 != 0) {
            throw new IllegalArgumentException("rotation " + rotation + " is not a multiple of 90 degrees");
        }
        rotation = ((rotation % 360) + 360) % 360;
        int key = ((width * 31 + height) * 31 + rowStride) * 31 + rotation * 2 + (mirror ? 1 : 0);
        if (ready && key == geometry) {
            return;
        }
        if (rowStride < width * 4) {
            throw new IllegalArgumentException("row stride " + rowStride + " is shorter than " + width + " RGBA pixels");
        }
        if (pixels.length < rowStride * height) {
            pixels = new byte[rowStride * height]; // once per frame size
        }
        boolean sideways = rotation == 90 || rotation == 270;
        int uprightW = sideways ? height : width;
        int uprightH = sideways ? width : height;
        // Upright column ux (after undoing the mirror) and row uy, back to the sensor's column rx, row ry:
        //   0: (ux, uy)   90: (uy, h-1-ux)   180: (w-1-ux, h-1-uy)   270: (w-1-uy, ux)
        ImageResize.taps(uprightW, outW, taps0, taps1, tapWeight);
        for (int x = 0; x < outW; x++) {
            col0[x] = columnPart(mirror ? uprightW - 1 - taps0[x] : taps0[x], rotation, width, height, rowStride);
            col1[x] = columnPart(mirror ? uprightW - 1 - taps1[x] : taps1[x], rotation, width, height, rowStride);
            colWeight[x] = tapWeight[x];
        }
        ImageResize.taps(uprightH, outH, taps0, taps1, tapWeight);
        for (int y = 0; y < outH; y++) {
            row0[y] = rowPart(taps0[y], rotation, width, height, rowStride);
            row1[y] = rowPart(taps1[y], rotation, width, height, rowStride);
            rowWeight[y] = tapWeight[y];
        }
        geometry = key;
        ready = true;
    }

    /** The byte offset an upright column contributes. */
    private static int columnPart(int ux, int rotation, int w, int h, int rowStride) {
        switch (rotation) {
            case 0: return ux * 4;
            case 90: return (h - 1 - ux) * rowStride;
            case 180: return (w - 1 - ux) * 4;
            default: return ux * rowStride; // 270
        }
    }

    /** The byte offset an upright row contributes. */
    private static int rowPart(int uy, int rotation, int w, int h, int rowStride) {
        switch (rotation) {
            case 0: return uy * rowStride;
            case 90: return uy * 4;
            case 180: return (h - 1 - uy) * rowStride;
            default: return (w - 1 - uy) * 4; // 270
        }
    }

    /** ImageResize's bilinear mix, term for term, so the two agree to the bit. */
    private static int mix(int a, int b, int c, int d, float wx, float wy) {
        float top = a + (b - a) * wx;
        float bottom = c + (d - c) * wx;
        return Math.round(top + (bottom - top) * wy);
    }
}
