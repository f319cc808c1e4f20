package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import org.junit.Test;

public class CompositorTest {
    @Test
    public void blendKeepsThePersonAndReplacesTheRest() {
        int[] frame = {0xFFFF0000, 0xFFFF0000, 0xFFFF0000, 0xFF102030};
        int[] background = {0xFF0000FF, 0xFF0000FF, 0xFF0000FF, 0xFF0000FF};
        float[] alpha = {1f, 0f, 0.5f, 7f};
        int[] out = new int[4];
        Compositor.blend(frame, alpha, background, out, 4);
        assertArrayEquals(new int[] {0xFFFF0000, 0xFF0000FF, 0xFF800080, 0xFF102030}, out);
    }

    @Test
    public void theBlurredBackgroundKeepsFlatColoursAndSmoothsDetail() {
        int w = 64;
        int h = 48;
        int[] flat = new int[w * h];
        Arrays.fill(flat, 0xFF204060);
        int[] out = new int[w * h];
        Compositor.BackgroundBlur blur = new Compositor.BackgroundBlur(4, 3, 3);
        blur.apply(flat, w, h, out);
        for (int v : out) assertEquals(0xFF204060, v);

        // A fine checkerboard (black/white 2x2 cells) comes out close to mid-grey everywhere.
        int[] checker = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) checker[y * w + x] = ((x / 2 + y / 2) % 2 == 0) ? 0xFF000000 : 0xFFFFFFFF;
        }
        blur.apply(checker, w, h, out);
        for (int v : out) {
            int r = v >> 16 & 0xFF;
            assertTrue("r=" + r, r > 60 && r < 195);
        }
    }

    @Test
    public void gradientRunsFromTopToBottomColour() {
        int[] out = new int[3 * 5];
        Compositor.gradient(0xFF000000, 0xFFFFFFFF, 3, 5, out);
        assertEquals(0xFF000000, out[0]);
        assertEquals(0xFF000000, out[2]);
        assertEquals(0xFF808080, out[2 * 3 + 1]);
        assertEquals(0xFFFFFFFF, out[4 * 3 + 2]);
    }
}
