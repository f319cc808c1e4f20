package org.edgedeeplab.portrait.core;

/**
 * Separable box blurs with clamp-to-edge borders, O(pixels) whatever the radius (running sums).
 * Two passes of a box make a tent, three come close to a Gaussian: cheap enough per camera frame in
 * plain Java. Used to feather the person matte and to blur the background.
 */
public final class Blur {
    private Blur() {
    }

    /** Box blur of a float plane; {@code dst} may be {@code src}; {@code scratch} holds w * h. */
    public static void plane(float[] src, int w, int h, int radius, float[] dst, float[] scratch) {
        if (radius <= 0) {
            if (dst != src) System.arraycopy(src, 0, dst, 0, w * h);
            return;
        }
        float norm = 1f / (2 * radius + 1);
        for (int y = 0; y < h; y++) {
            int row = y * w;
            float sum = 0f;
            for (int k = -radius; k <= radius; k++) sum += src[row + clamp(k, w)];
            for (int x = 0; x < w; x++) {
                scratch[row + x] = sum * norm;
                sum += src[row + clamp(x + radius + 1, w)] - src[row + clamp(x - radius, w)];
            }
        }
        for (int x = 0; x < w; x++) {
            float sum = 0f;
            for (int k = -radius; k <= radius; k++) sum += scratch[clamp(k, h) * w + x];
            for (int y = 0; y < h; y++) {
                dst[y * w + x] = sum * norm;
                sum += scratch[clamp(y + radius + 1, h) * w + x] - scratch[clamp(y - radius, h) * w + x];
            }
        }
    }

    /** Box blur of ARGB_8888 pixels (alpha set opaque); {@code dst} may be {@code src}. */
    public static void argb(int[] src, int w, int h, int radius, int[] dst, int[] scratch) {
        if (radius <= 0) {
            if (dst != src) System.arraycopy(src, 0, dst, 0, w * h);
            return;
        }
        int window = 2 * radius + 1;
        for (int y = 0; y < h; y++) {
            int row = y * w;
            int r = 0, g = 0, b = 0;
            for (int k = -radius; k <= radius; k++) {
                int p = src[row + clamp(k, w)];
                r += p >> 16 & 0xFF;
                g += p >> 8 & 0xFF;
                b += p & 0xFF;
            }
            for (int x = 0; x < w; x++) {
                scratch[row + x] = pack(r, g, b, window);
                int in = src[row + clamp(x + radius + 1, w)];
                int out = src[row + clamp(x - radius, w)];
                r += (in >> 16 & 0xFF) - (out >> 16 & 0xFF);
                g += (in >> 8 & 0xFF) - (out >> 8 & 0xFF);
                b += (in & 0xFF) - (out & 0xFF);
            }
        }
        for (int x = 0; x < w; x++) {
            int r = 0, g = 0, b = 0;
            for (int k = -radius; k <= radius; k++) {
                int p = scratch[clamp(k, h) * w + x];
                r += p >> 16 & 0xFF;
                g += p >> 8 & 0xFF;
                b += p & 0xFF;
            }
            for (int y = 0; y < h; y++) {
                dst[y * w + x] = pack(r, g, b, window);
                int in = scratch[clamp(y + radius + 1, h) * w + x];
                int out = scratch[clamp(y - radius, h) * w + x];
                r += (in >> 16 & 0xFF) - (out >> 16 & 0xFF);
                g += (in >> 8 & 0xFF) - (out >> 8 & 0xFF);
                b += (in & 0xFF) - (out & 0xFF);
            }
        }
    }

    private static int pack(int r, int g, int b, int window) {
        int half = window / 2; // round to nearest
        return 0xFF000000 | (r + half) / window << 16 | (g + half) / window << 8 | (b + half) / window;
    }

    private static int clamp(int i, int size) {
        return i < 0 ? 0 : (i >= size ? size - 1 : i);
    }
}
