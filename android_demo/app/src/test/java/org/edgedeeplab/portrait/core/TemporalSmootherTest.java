package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class TemporalSmootherTest {
    @Test
    public void theFirstFramePassesThrough() {
        TemporalSmoother s = new TemporalSmoother(0.35f, 1.5f);
        float[] a = {0.2f, 0.9f};
        s.apply(a, 2);
        assertArrayEquals(new float[] {0.2f, 0.9f}, a, 0f);
    }

    @Test
    public void edgeFlickerIsDamped() {
        TemporalSmoother s = new TemporalSmoother(0.35f, 1.5f);
        float maxSwing = 0f;
        float previous = Float.NaN;
        for (int frame = 0; frame < 40; frame++) {
            float[] a = {frame % 2 == 0 ? 0.45f : 0.55f}; // a pixel on the edge flipping each frame
            s.apply(a, 1);
            if (frame > 10) maxSwing = Math.max(maxSwing, Math.abs(a[0] - previous));
            previous = a[0];
        }
        assertTrue("swing " + maxSwing, maxSwing < 0.06f); // the raw input swings by 0.10
    }

    @Test
    public void largeChangesAreFollowedAtOnce() {
        TemporalSmoother s = new TemporalSmoother(0.35f, 1.5f);
        float[] a = {0f};
        s.apply(a, 1);
        a[0] = 1f; // the person stepped into this pixel
        s.apply(a, 1);
        assertEquals(1f, a[0], 0f);
        a[0] = 0.9f; // small change: only part of the way
        s.apply(a, 1);
        assertTrue(a[0] > 0.9f && a[0] < 0.96f);
    }

    @Test
    public void resetAndResizeStartAfresh() {
        TemporalSmoother s = new TemporalSmoother(0.2f, 0f);
        float[] a = {0f, 0f};
        s.apply(a, 2);
        s.reset();
        float[] b = {0.5f, 0.5f};
        s.apply(b, 2);
        assertArrayEquals(new float[] {0.5f, 0.5f}, b, 0f);
        float[] c = {0.7f, 0.7f, 0.7f};
        s.apply(c, 3);
        assertArrayEquals(new float[] {0.7f, 0.7f, 0.7f}, c, 0f);
        float[] d = {0.2f, 0.2f, 0.2f};
        s.apply(d, 3);
        assertEquals(0.7f + 0.2f * (0.2f - 0.7f), d[0], 1e-6f);
    }
}
