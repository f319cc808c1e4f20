package org.edgedeeplab.portrait.core;

/**
 * Portrait compositing: the person in front, a blurred or replaced background behind, blended by the
 * matte, per channel: {@code out = alpha * frame + (1 - alpha) * background}.
 */
public final class Compositor {
    private Compositor() {
    }

    public static void blend(int[] frame, float[] alpha, int[] background, int[] out, int pixels) {
        for (int i = 0; i < pixels; i++) {
            float a = alpha[i];
            a = a < 0f ? 0f : (a > 1f ? 1f : a);
            int f = frame[i];
            int b = background[i];
            int r = Math.round((b >> 16 & 0xFF) + ((f >> 16 & 0xFF) - (b >> 16 & 0xFF)) * a);
            int g = Math.round((b >> 8 & 0xFF) + ((f >> 8 & 0xFF) - (b >> 8 & 0xFF)) * a);
            int bl = Math.round((b & 0xFF) + ((f & 0xFF) - (b & 0xFF)) * a);
            out[i] = 0xFF000000 | r << 16 | g << 8 | bl;
        }
    }

    /**
     * A strongly blurred copy of the frame, made at 1/{@code downscale} resolution (a wide blur costs
     * the same there and a phone has 16x fewer pixels to touch), then scaled back up.
     */
    public static final class BackgroundBlur {
        private final int downscale;
        private final int radius;
        private final int passes;
        private int[] small = new int[0];
        private int[] scratch = new int[0];

        /** {@code radius} in downscaled pixels; 3 passes approximate a Gaussian. */
        public BackgroundBlur(int downscale, int radius, int passes) {
            if (downscale < 1 || radius < 0 || passes < 1) {
                throw new IllegalArgumentException("downscale >= 1, radius >= 0, passes >= 1");
            }
            this.downscale = downscale;
            this.radius = radius;
            this.passes = passes;
        }

        public void apply(int[] frame, int w, int h, int[] out) {
            int sw = Math.max(1, w / downscale);
            int sh = Math.max(1, h / downscale);
            if (small.length < sw * sh) {
                small = new int[sw * sh];
                scratch = new int[sw * sh];
            }
            ImageResize.argb(frame, w, h, small, sw, sh);
            for (int i = 0; i < passes; i++) {
                Blur.argb(small, sw, sh, radius, small, scratch);
            }
            ImageResize.argb(small, sw, sh, out, w, h);
        }
    }

    /** A replacement background: a vertical two-colour gradient, the frame's size. */
    public static void gradient(int top, int bottom, int w, int h, int[] out) {
        for (int y = 0; y < h; y++) {
            float t = h > 1 ? (float) y / (h - 1) : 0f;
            int r = Math.round((top >> 16 & 0xFF) + ((bottom >> 16 & 0xFF) - (top >> 16 & 0xFF)) * t);
            int g = Math.round((top >> 8 & 0xFF) + ((bottom >> 8 & 0xFF) - (top >> 8 & 0xFF)) * t);
            int b = Math.round((top & 0xFF) + ((bottom & 0xFF) - (top & 0xFF)) * t);
            int colour = 0xFF000000 | r << 16 | g << 8 | b;
            for (int x = 0; x < w; x++) {
                out[y * w + x] = colour;
            }
        }
    }
}
