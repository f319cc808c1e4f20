package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.Arrays;
import org.junit.Test;

public class BlurTest {
    @Test
    public void aUniformImageStaysUniform() {
        float[] plane = new float[12 * 7];
        Arrays.fill(plane, 0.4f);
        Blur.plane(plane, 12, 7, 3, plane, new float[plane.length]);
        for (float v : plane) assertEquals(0.4f, v, 1e-6f);
        int[] argb = new int[12 * 7];
        Arrays.fill(argb, 0xFF336699);
        Blur.argb(argb, 12, 7, 5, argb, new int[argb.length]);
        for (int v : argb) assertEquals(0xFF336699, v);
    }

    @Test
    public void anImpulseSpreadsIntoABoxAndKeepsItsMass() {
        int w = 9;
        int h = 9;
        float[] plane = new float[w * h];
        plane[4 * w + 4] = 9f * 9f;
        float[] out = new float[w * h];
        Blur.plane(plane, w, h, 1, out, new float[w * h]);
        float sum = 0f;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean inside = Math.abs(x - 4) <= 1 && Math.abs(y - 4) <= 1;
                assertEquals(inside ? 9f : 0f, out[y * w + x], 1e-5f);
                sum += out[y * w + x];
            }
        }
        assertEquals(81f, sum, 1e-4f);
    }

    @Test
    public void argbChannelsBlurSeparatelyWithRounding() {
        // a 3x1 row: red, green, blue; radius 1 with clamped edges
        int[] row = {0xFFFF0000, 0xFF00FF00, 0xFF0000FF};
        int[] out = new int[3];
        Blur.argb(row, 3, 1, 1, out, new int[3]);
        // left: (2*red + green)/3 -> r 170, g 85; middle: all three / 3 -> 85 each; right: mirror of left
        assertArrayEquals(new int[] {0xFFAA5500, 0xFF555555, 0xFF0055AA}, out);
    }

    @Test
    public void radiusZeroCopies() {
        float[] src = {1f, 2f, 3f};
        float[] dst = new float[3];
        Blur.plane(src, 3, 1, 0, dst, new float[3]);
        assertArrayEquals(src, dst, 0f);
    }
}
