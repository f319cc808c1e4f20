package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class MatteTest {
    @Test
    public void rampStretchesTheUncertainBand() {
        float[] a = {0f, 0.25f, 0.3f, 0.5f, 0.7f, 0.75f, 1f};
        Matte.ramp(a, a.length, 0.25f, 0.75f);
        assertEquals(0f, a[0], 0f);
        assertEquals(0f, a[1], 0f);
        assertEquals(0.5f, a[3], 1e-6f);
        assertEquals(1f, a[5], 0f);
        assertEquals(1f, a[6], 0f);
        assertEquals(1f - a[2], a[4], 1e-6f); // symmetric about the model's 0.5 boundary
        assertTrue(a[2] > 0f && a[2] < 0.1f);
    }

    @Test
    public void featherTurnsAHardEdgeIntoAMonotonicRamp() {
        int w = 40;
        int h = 3;
        float[] a = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 20; x < w; x++) a[y * w + x] = 1f;
        Matte.feather(a, w, h, 3, 2, new float[w * h]);
        for (int x = 1; x < w; x++) assertTrue("x=" + x, a[w + x] >= a[w + x - 1]);
        assertEquals(0f, a[w + 5], 0f);    // far from the edge: untouched
        assertEquals(1f, a[w + 35], 1e-6f);
        assertTrue(a[w + 19] > 0.2f && a[w + 19] < 0.5f); // the edge itself is now soft
        assertTrue(a[w + 20] > 0.5f && a[w + 20] < 0.8f);
        float[] rowsAgree = {a[19], a[w + 19], a[2 * w + 19]};
        assertArrayEquals(new float[] {a[w + 19], a[w + 19], a[w + 19]}, rowsAgree, 1e-6f);
    }
}
