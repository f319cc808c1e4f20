package org.edgedeeplab.portrait.core;

/**
 * Bilinear resizing with half-pixel centres: OpenCV's INTER_LINEAR and tf.image.resize's convention,
 * the one edge_deeplab's evaluator uses (evaluate/inference.py), so the app feeds the model what the
 * evaluator measured. Source sample for destination x: {@code (x + 0.5) * srcW / dstW - 0.5}, clamped
 * to the edge pixels. The app samples camera frames with {@link FrameSampler}, which shares the taps
 * and the arithmetic; this whole-image form is the reference the tests hold both to.
 */
public final class ImageResize {
    private ImageResize() {
    }

    /** ARGB_8888 ints, each channel interpolated and rounded; alpha set opaque. */
    public static void argb(int[] src, int srcW, int srcH, int[] dst, int dstW, int dstH) {
        int[] x0 = new int[dstW];
        int[] x1 = new int[dstW];
        float[] fx = new float[dstW];
        taps(srcW, dstW, x0, x1, fx);
        int[] y0 = new int[dstH];
        int[] y1 = new int[dstH];
        float[] fy = new float[dstH];
        taps(srcH, dstH, y0, y1, fy);
        for (int y = 0; y < dstH; y++) {
            int row0 = y0[y] * srcW;
            int row1 = y1[y] * srcW;
            float wy = fy[y];
            int out = y * dstW;
            for (int x = 0; x < dstW; x++) {
                int a = src[row0 + x0[x]];
                int b = src[row0 + x1[x]];
                int c = src[row1 + x0[x]];
                int d = src[row1 + x1[x]];
                float wx = fx[x];
                int r = mix(a >> 16 & 0xFF, b >> 16 & 0xFF, c >> 16 & 0xFF, d >> 16 & 0xFF, wx, wy);
                int g = mix(a >> 8 & 0xFF, b >> 8 & 0xFF, c >> 8 & 0xFF, d >> 8 & 0xFF, wx, wy);
                int bl = mix(a & 0xFF, b & 0xFF, c & 0xFF, d & 0xFF, wx, wy);
                dst[out + x] = 0xFF000000 | r << 16 | g << 8 | bl;
            }
        }
    }

    /** For each destination index: the two source taps and the weight of the second. */
    static void taps(int srcSize, int dstSize, int[] i0, int[] i1, float[] weight) {
        double scale = (double) srcSize / dstSize;
        for (int d = 0; d < dstSize; d++) {
            double s = (d + 0.5) * scale - 0.5;
            int lo = (int) Math.floor(s);
            float w = (float) (s - lo);
            if (lo < 0) {
                lo = 0;
                w = 0f;
            }
            if (lo >= srcSize - 1) {
                lo = srcSize - 1;
                w = 0f;
            }
            i0[d] = lo;
            i1[d] = Math.min(lo + 1, srcSize - 1);
            weight[d] = w;
        }
    }

    private static int mix(int a, int b, int c, int d, float wx, float wy) {
        float top = a + (b - a) * wx;
        float bottom = c + (d - c) * wx;
        return Math.round(top + (bottom - top) * wy);
    }
}
