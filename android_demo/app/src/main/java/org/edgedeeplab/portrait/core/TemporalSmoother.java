package org.edgedeeplab.portrait.core;

/**
 * Temporal smoothing of the person alpha across camera frames, against the flicker a per-frame
 * segmentation shows along edges.
 *
 * <p>An exponential moving average, {@code s += k * (alpha - s)}, whose gain k rises with the change
 * at each pixel: a small change (noise) gets {@code baseGain} and is damped; a large one (the person
 * moved) gets up to 1 and is followed at once, so moving edges do not leave a ghost.
 * {@code k = min(1, baseGain + motionGain * |alpha - s|)}. The state resets when the size changes or
 * on {@link #reset()} (e.g. a camera switch, where the previous frame means nothing). The Java twin of
 * edge_deeplab/segment/masks.py TemporalSmoother, float for float; the parity test holds them equal.
 */
public final class TemporalSmoother {
    private final float baseGain;
    private final float motionGain;
    private float[] state = null;
    private int size = -1;

    public TemporalSmoother(float baseGain, float motionGain) {
        if (!(baseGain > 0f && baseGain <= 1f) || motionGain < 0f) {
            throw new IllegalArgumentException("baseGain in (0, 1], motionGain >= 0");
        }
        this.baseGain = baseGain;
        this.motionGain = motionGain;
    }

    public void reset() {
        size = -1;
    }

    /** Smooths the first {@code n} values of {@code alpha} in place against the previous frames. */
    public void apply(float[] alpha, int n) {
        if (n != size) {
            state = new float[n];
            System.arraycopy(alpha, 0, state, 0, n);
            size = n;
            return;
        }
        for (int i = 0; i < n; i++) {
            float delta = alpha[i] - state[i];
            float k = Math.min(1f, baseGain + motionGain * Math.abs(delta));
            state[i] += k * delta;
            alpha[i] = state[i];
        }
    }
}
