package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;

import org.junit.Test;

public class ImageResizeTest {
    private static int gray(int v) {
        return 0xFF000000 | v << 16 | v << 8 | v;
    }

    private static int[] red(int[] argb) {
        int[] out = new int[argb.length];
        for (int i = 0; i < argb.length; i++) out[i] = argb[i] >> 16 & 0xFF;
        return out;
    }

    @Test
    public void upscalingUsesHalfPixelCentresAndClampsAtTheEdges() {
        // cv2.resize(np.array([[0, 100]], np.float32), (4, 1), interpolation=cv2.INTER_LINEAR) = [0, 25, 75, 100]
        int[] argb = new int[4];
        ImageResize.argb(new int[] {gray(0), gray(100)}, 2, 1, argb, 4, 1);
        assertArrayEquals(new int[] {0, 25, 75, 100}, red(argb));
    }

    @Test
    public void downscalingByTwoAveragesPairs() {
        int[] row = new int[2];
        ImageResize.argb(new int[] {gray(0), gray(10), gray(20), gray(40)}, 4, 1, row, 2, 1);
        assertArrayEquals(new int[] {5, 30}, red(row));
        int[] column = new int[2];
        ImageResize.argb(new int[] {gray(0), gray(10), gray(20), gray(40)}, 1, 4, column, 1, 2);
        assertArrayEquals(new int[] {5, 30}, red(column));
    }

    @Test
    public void theSameSizeIsACopyAndChannelsStayApart() {
        int[] src = {0xFF102030, 0xFF405060, 0xFF708090, 0xFFA0B0C0};
        int[] dst = new int[4];
        ImageResize.argb(src, 2, 2, dst, 2, 2);
        assertArrayEquals(src, dst);
        int[] wide = new int[3];
        ImageResize.argb(new int[] {0xFF0000FF, 0xFFFF0000}, 2, 1, wide, 3, 1);
        // centre sample sits exactly between blue and red
        assertArrayEquals(new int[] {0xFF0000FF, 0xFF800080, 0xFFFF0000}, wide);
    }

    @Test
    public void twoDimensionalInterpolationMatchesOpenCv() {
        // cv2.resize(np.array([[0, 10], [20, 30]], np.float32), (3, 3), interpolation=cv2.INTER_LINEAR)
        // = [[0, 5, 10], [10, 15, 20], [20, 25, 30]]
        int[] dst = new int[9];
        ImageResize.argb(new int[] {gray(0), gray(10), gray(20), gray(30)}, 2, 2, dst, 3, 3);
        assertArrayEquals(new int[] {0, 5, 10, 10, 15, 20, 20, 25, 30}, red(dst));
    }
}
