package org.edgedeeplab.portrait.core;

import java.util.Locale;

/**
 * Frames per second and mean inference time over the last {@code window} frames, for the on-screen
 * overlay. Time is passed in (System.nanoTime() in the app) so the meter is exact under test.
 */
public final class FpsMeter {
    private final long[] stamps;
    private final double[] inferenceMs;
    private int count = 0;
    private int next = 0;

    public FpsMeter(int window) {
        if (window < 2) {
            throw new IllegalArgumentException("window must hold at least 2 frames");
        }
        stamps = new long[window];
        inferenceMs = new double[window];
    }

    /** A frame was shown at {@code nanos}; its inference took {@code inferenceMillis}. */
    public void frame(long nanos, double inferenceMillis) {
        stamps[next] = nanos;
        inferenceMs[next] = inferenceMillis;
        next = (next + 1) % stamps.length;
        count = Math.min(count + 1, stamps.length);
    }

    public void reset() {
        count = 0;
        next = 0;
    }

    /** Frames per second over the window: (frames - 1) intervals over their span; 0 until 2 frames. */
    public double fps() {
        if (count < 2) {
            return 0.0;
        }
        long newest = stamps[(next - 1 + stamps.length) % stamps.length];
        long oldest = stamps[(next - count + stamps.length) % stamps.length];
        long span = newest - oldest;
        return span > 0 ? (count - 1) * 1e9 / span : 0.0;
    }

    public double meanInferenceMs() {
        if (count == 0) {
            return 0.0;
        }
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += inferenceMs[(next - 1 - i + stamps.length) % stamps.length];
        }
        return sum / count;
    }

    /** The overlay line, e.g. "GPU  28.4 FPS  inference 12.3 ms". */
    public String overlay(String backend) {
        return String.format(Locale.US, "%s  %.1f FPS  inference %.1f ms", backend, fps(), meanInferenceMs());
    }
}
