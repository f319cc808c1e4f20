package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class FpsMeterTest {
    private static final long MS = 1_000_000L;

    @Test
    public void countsIntervalsOverTheWindow() {
        FpsMeter meter = new FpsMeter(10);
        assertEquals(0.0, meter.fps(), 0.0);
        meter.frame(0, 5.0);
        assertEquals(0.0, meter.fps(), 0.0); // one frame has no interval yet
        for (int i = 1; i < 25; i++) meter.frame(i * 40 * MS, 5.0);
        assertEquals(25.0, meter.fps(), 1e-9);
    }

    @Test
    public void theWindowForgetsOldFrames() {
        FpsMeter meter = new FpsMeter(5);
        long t = 0;
        for (int i = 0; i < 5; i++) meter.frame(t += 100 * MS, 1.0);
        assertEquals(10.0, meter.fps(), 1e-9);
        for (int i = 0; i < 5; i++) meter.frame(t += 20 * MS, 1.0);
        assertEquals(50.0, meter.fps(), 1e-9);
    }

    @Test
    public void meanInferenceTimeAndOverlay() {
        FpsMeter meter = new FpsMeter(3);
        meter.frame(0, 100.0);
        meter.frame(50 * MS, 10.0);
        meter.frame(100 * MS, 20.0);
        meter.frame(150 * MS, 30.0); // pushes out the 100 ms frame
        assertEquals(20.0, meter.meanInferenceMs(), 1e-9);
        assertEquals("GPU  20.0 FPS  inference 20.0 ms", meter.overlay("GPU"));
        meter.reset();
        assertEquals(0.0, meter.fps(), 0.0);
        assertEquals(0.0, meter.meanInferenceMs(), 0.0);
    }
}
