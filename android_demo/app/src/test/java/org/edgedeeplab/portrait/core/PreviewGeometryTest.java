package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.ByteBuffer;
import org.junit.Test;

public class PreviewGeometryTest {
    /**
     * For every rotation and mirror: the sensor pixel the preview's matrix reads at an upright pixel's
     * centre is the one FrameSampler reads for that upright pixel (a frame sampled at its own size is a
     * copy, so each upright pixel's value names its sensor pixel).
     */
    @Test
    public void thePreviewReadsTheSensorPixelTheModelSees() {
        int w = 6, h = 4;
        int[] frame = new int[w * h];
        for (int i = 0; i < frame.length; i++) frame[i] = 0xFF000000 | i; // blue = the pixel's index
        ByteBuffer rgba = FrameSamplerTest.rgba(frame, w, h, w * 4);
        float[] m = new float[16];
        for (int rotation : new int[] {0, 90, 180, 270}) {
            for (boolean mirror : new boolean[] {false, true}) {
                boolean sideways = rotation % 180 != 0;
                int uw = sideways ? h : w;
                int uh = sideways ? w : h;
                FrameSampler sampler = new FrameSampler(Contracts.of(uh, uw, 0f, 1f, OutputKind.PROBABILITIES, 1,
                        "bg", "person"));
                TensorData upright = new TensorData(TensorSpec.float32(1, uh, uw, 3));
                sampler.sample(rgba, w, h, w * 4, rotation, mirror, upright);
                PreviewGeometry.uprightToBuffer(rotation, mirror, m);
                for (int uy = 0; uy < uh; uy++) {
                    for (int ux = 0; ux < uw; ux++) {
                        float u = (ux + 0.5f) / uw;
                        float v = (uy + 0.5f) / uh;
                        float s = m[0] * u + m[4] * v + m[12];
                        float t = m[1] * u + m[5] * v + m[13];
                        int rx = (int) Math.floor(s * w);
                        int ry = (int) Math.floor((1 - t) * h);
                        int expected = (int) upright.floats[(uy * uw + ux) * 3 + 2];
                        assertEquals("rotation " + rotation + " mirror " + mirror + " at " + ux + "," + uy,
                                expected, ry * w + rx);
                    }
                }
            }
        }
    }

    @Test
    public void askewRotationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PreviewGeometry.uprightToBuffer(45, false, new float[16]));
    }
}
