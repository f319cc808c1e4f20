package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.Test;

public class FrameSamplerTest {
    /** A sensor frame as CameraX's RGBA_8888 analysis buffer: R, G, B, A bytes, rows padded to rowStride. */
    static ByteBuffer rgba(int[] argb, int w, int h, int rowStride) {
        ByteBuffer b = ByteBuffer.allocateDirect(rowStride * h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = argb[y * w + x];
                int o = y * rowStride + x * 4;
                b.put(o, (byte) (p >> 16)).put(o + 1, (byte) (p >> 8)).put(o + 2, (byte) p).put(o + 3, (byte) 0xFF);
            }
        }
        return b;
    }

    /** The frame turned clockwise by {@code rotation} and mirrored, the slow obvious way. */
    static int[] upright(int[] argb, int w, int h, int rotation, boolean mirror) {
        boolean sideways = rotation == 90 || rotation == 270;
        int uw = sideways ? h : w;
        int uh = sideways ? w : h;
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int ux, uy;
                switch (rotation) {
                    case 0: ux = x; uy = y; break;
                    case 90: ux = h - 1 - y; uy = x; break;
                    case 180: ux = w - 1 - x; uy = h - 1 - y; break;
                    default: ux = y; uy = w - 1 - x; break;
                }
                if (mirror) ux = uw - 1 - ux;
                out[uy * uw + ux] = argb[y * w + x];
            }
        }
        return out;
    }

    private static int[] randomFrame(int w, int h, long seed) {
        Random random = new Random(seed);
        int[] argb = new int[w * h];
        for (int i = 0; i < argb.length; i++) argb[i] = 0xFF000000 | random.nextInt(1 << 24);
        return argb;
    }

    @Test
    public void everyRotationAndMirrorEqualsResizingTheUprightFrameThenPacking() {
        int w = 40, h = 30, rowStride = w * 4 + 12;
        int[] frame = randomFrame(w, h, 5);
        TensorSpec[] inputs = {
                TensorSpec.float32(1, 17, 13, 3),
                new TensorSpec(TensorSpec.Type.INT8, new int[] {1, 17, 13, 3}, 1f / 127.5f, 0),
                new TensorSpec(TensorSpec.Type.UINT8, new int[] {1, 17, 13, 3}, 1f / 127.5f, 128)};
        ModelContract contract = Contracts.of(17, 13, 127.5f, 127.5f, OutputKind.PROBABILITIES, 1, "bg", "person");
        for (TensorSpec spec : inputs) {
            FrameSampler sampler = new FrameSampler(contract);
            for (int rotation : new int[] {0, 90, 180, 270}) {
                for (boolean mirror : new boolean[] {false, true}) {
                    boolean sideways = rotation % 180 != 0;
                    int[] resized = new int[13 * 17];
                    ImageResize.argb(upright(frame, w, h, rotation, mirror), sideways ? h : w, sideways ? w : h,
                            resized, 13, 17);
                    ByteBuffer expected = InputPacker.allocate(spec);
                    InputPacker.pack(resized, 13, 17, contract, spec, expected);
                    TensorData got = new TensorData(spec);
                    sampler.sample(rgba(frame, w, h, rowStride), w, h, rowStride, rotation, mirror, got);
                    String what = spec + " rotation " + rotation + " mirror " + mirror;
                    if (got.floats != null) {
                        float[] want = new float[got.floats.length];
                        expected.asFloatBuffer().get(want);
                        assertArrayEquals(what, want, got.floats, 0f);
                    } else {
                        byte[] want = new byte[got.bytes.length];
                        expected.get(want);
                        assertArrayEquals(what, want, got.bytes);
                    }
                }
            }
        }
    }

    @Test
    public void aBigEndianBufferIsReadTheSame() {
        int[] frame = randomFrame(8, 6, 2);
        ModelContract contract = Contracts.of(3, 4, 0f, 1f, OutputKind.PROBABILITIES, 1, "bg", "person");
        FrameSampler sampler = new FrameSampler(contract);
        TensorData little = new TensorData(TensorSpec.float32(1, 3, 4, 3));
        TensorData big = new TensorData(TensorSpec.float32(1, 3, 4, 3));
        sampler.sample(rgba(frame, 8, 6, 32).order(ByteOrder.LITTLE_ENDIAN), 8, 6, 32, 90, false, little);
        sampler.sample(rgba(frame, 8, 6, 32).order(ByteOrder.BIG_ENDIAN), 8, 6, 32, 90, false, big);
        assertArrayEquals(little.floats, big.floats, 0f);
        assertEquals((frame[0] >> 16 & 0xFF) * 1f, sampleOfOnePixel(frame[0]), 0f);
    }

    private static float sampleOfOnePixel(int argb) {
        TensorData out = new TensorData(TensorSpec.float32(1, 1, 1, 3));
        new FrameSampler(Contracts.of(1, 1, 0f, 1f, OutputKind.PROBABILITIES, 1, "bg", "person"))
                .sample(rgba(new int[] {argb}, 1, 1, 4), 1, 1, 4, 0, false, out);
        return out.floats[0]; // red first, as the model's RGB input wants
    }

    @Test
    public void refusesAskewRotationAndAShortStride() {
        FrameSampler sampler = new FrameSampler(Contracts.of(2, 2, 0f, 1f, OutputKind.PROBABILITIES, 1, "bg", "person"));
        TensorData out = new TensorData(TensorSpec.float32(1, 2, 2, 3));
        ByteBuffer frame = ByteBuffer.allocateDirect(64);
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(frame, 4, 4, 16, 45, false, out));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(frame, 4, 4, 8, 0, false, out));
    }
}
