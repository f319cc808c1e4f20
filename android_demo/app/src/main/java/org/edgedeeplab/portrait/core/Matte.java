package org.edgedeeplab.portrait.core;

/**
 * Turning the model's person alpha into a matte that looks right at screen resolution.
 *
 * <p>A 257 px mask scaled up to the camera frame has stair-stepped, hard edges; hair and shoulders look
 * cut out. The fix is two cheap steps: {@link #ramp} stretches the uncertain band of the alpha (the
 * model's 0.5 boundary) into a clean 0..1 transition, then {@link #feather} blurs it over a few screen
 * pixels so the person blends into the background instead of being pasted on it.
 */
public final class Matte {
    private Matte() {
    }

    /** Smoothstep from {@code low} (-> 0) to {@code high} (-> 1), in place over the first n values. */
    public static void ramp(float[] alpha, int n, float low, float high) {
        if (!(high > low)) {
            throw new IllegalArgumentException("ramp needs low < high");
        }
        float span = high - low;
        for (int i = 0; i < n; i++) {
            float t = (alpha[i] - low) / span;
            t = t < 0f ? 0f : (t > 1f ? 1f : t);
            alpha[i] = t * t * (3f - 2f * t);
        }
    }

    /** {@code passes} box blurs of {@code radius} (2 = a tent), in place; scratch holds w * h. */
    public static void feather(float[] alpha, int w, int h, int radius, int passes, float[] scratch) {
        for (int i = 0; i < passes; i++) {
            Blur.plane(alpha, w, h, radius, alpha, scratch);
        }
    }
}
