package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.Test;

public class InputPackerTest {
    private static int argb(int r, int g, int b) {
        return 0xFF000000 | r << 16 | g << 8 | b;
    }

    private static float[] floats(ByteBuffer buffer, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = buffer.getFloat(i * 4);
        return out;
    }

    private static int[] bytes(ByteBuffer buffer, int n, boolean unsigned) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = unsigned ? buffer.get(i) & 0xFF : buffer.get(i);
        return out;
    }

    @Test
    public void floatInputIsNormalisedInRgbOrder() {
        ModelContract c = new ModelContract(Arrays.asList("bg", "person"), 1, 2, new float[] {0f, 100f, 200f},
                new float[] {1f, 2f, 4f}, OutputKind.LOGITS, 1, 1);
        TensorSpec spec = TensorSpec.float32(1, 1, 2, 3);
        ByteBuffer out = InputPacker.allocate(spec);
        InputPacker.pack(new int[] {argb(10, 120, 240), argb(0, 0, 0)}, 2, 1, c, spec, out);
        assertEquals(0, out.position());
        assertArrayEquals(new float[] {10f, 10f, 10f, 0f, -50f, -50f}, floats(out, 6), 0f);
    }

    @Test
    public void deeplabAndMediapipeNormalisations() {
        TensorSpec spec = TensorSpec.float32(1, 1, 3, 3);
        ByteBuffer out = InputPacker.allocate(spec);
        int[] pixels = {argb(0, 0, 0), argb(255, 255, 255), argb(51, 51, 51)};
        InputPacker.pack(pixels, 3, 1, Contracts.of(1, 3, 127.5f, 127.5f, OutputKind.LOGITS, 1, "bg", "person"), spec, out);
        float[] deeplab = floats(out, 9);
        assertEquals(-1f, deeplab[0], 0f);
        assertEquals(1f, deeplab[3], 0f);
        assertEquals((51f - 127.5f) / 127.5f, deeplab[6], 0f);
        InputPacker.pack(pixels, 3, 1, Contracts.of(1, 3, 0f, 255f, OutputKind.PERSON_ALPHA, 1, "bg", "person"), spec, out);
        float[] mediapipe = floats(out, 9);
        assertEquals(0f, mediapipe[0], 0f);
        assertEquals(1f, mediapipe[3], 0f);
        assertEquals(0.2f, mediapipe[6], 0f);
    }

    @Test
    public void quantisedInputRoundsHalfToEvenAndClamps() {
        // mean 0, std 1, scale 2: pixel p -> p / 2 + zero point; .5 cases round to the even neighbour.
        ModelContract c = Contracts.of(1, 4, 0f, 1f, OutputKind.LOGITS, 1, "bg", "person");
        int[] pixels = {argb(5, 7, 9), argb(1, 3, 255), argb(0, 2, 4), argb(250, 251, 254)};
        TensorSpec uint8 = new TensorSpec(TensorSpec.Type.UINT8, new int[] {1, 1, 4, 3}, 2f, 3);
        ByteBuffer out = InputPacker.allocate(uint8);
        InputPacker.pack(pixels, 4, 1, c, uint8, out);
        // p / 2 + 3: 5.5->6, 6.5->6, 7.5->8; 3.5->4, 4.5->4, 130.5->130; 3, 4, 5; 128, 128.5->128, 130
        assertArrayEquals(new int[] {6, 6, 8, 4, 4, 130, 3, 4, 5, 128, 128, 130}, bytes(out, 12, true));

        TensorSpec int8 = new TensorSpec(TensorSpec.Type.INT8, new int[] {1, 1, 4, 3}, 0.5f, -128);
        InputPacker.pack(pixels, 4, 1, c, int8, out);
        // p / 0.5 - 128, clamped to [-128, 127]
        assertArrayEquals(new int[] {-118, -114, -110, -126, -122, 127, -128, -124, -120, 127, 127, 127},
                bytes(out, 12, false));
    }

    @Test
    public void deeplabInt8InputMatchesTheConvertersUsualParameters() {
        // A full-integer DeepLab input: x in [-1, 1], scale 1/127.5 ~ 0.007843, zero point -1 (typical).
        ModelContract c = Contracts.of(1, 2, 127.5f, 127.5f, OutputKind.LOGITS, 1, "bg", "person");
        TensorSpec int8 = new TensorSpec(TensorSpec.Type.INT8, new int[] {1, 1, 2, 3}, 0.007843138f, -1);
        ByteBuffer out = InputPacker.allocate(int8);
        InputPacker.pack(new int[] {argb(0, 128, 255), argb(127, 200, 64)}, 2, 1, c, int8, out);
        int[] got = bytes(out, 6, false);
        int[] pix = {0, 128, 255, 127, 200, 64};
        for (int i = 0; i < 6; i++) {
            float x = (pix[i] - 127.5f) / 127.5f;
            assertEquals((int) Math.max(-128, Math.min(127, Math.rint(x / 0.007843138f - 1))), got[i]);
        }
        assertEquals(-128, got[0]);
    }

    @Test
    public void refusesAFrameOfTheWrongSize() {
        ModelContract c = Contracts.of(2, 2, 0f, 1f, OutputKind.LOGITS, 1, "bg", "person");
        TensorSpec spec = TensorSpec.float32(1, 2, 2, 3);
        ByteBuffer out = InputPacker.allocate(spec);
        assertThrows(IllegalArgumentException.class, () -> InputPacker.pack(new int[6], 3, 2, c, spec, out));
        assertThrows(IllegalArgumentException.class, () -> InputPacker.pack(new int[3], 2, 2, c, spec, out));
        assertThrows(IllegalArgumentException.class,
                () -> InputPacker.pack(new int[4], 2, 2, c, spec, ByteBuffer.allocateDirect(8)));
    }
}
