package org.edgedeeplab.portrait.core;

/**
 * Where the shaders read the camera: a 4x4 matrix (column-major, as GLES20.glUniformMatrix4fv takes it)
 * from the upright screen's texture coordinates (u right, v down, 0..1) to the sensor buffer's
 * (s right, t up, 0..1: GL's texture convention, before SurfaceTexture's own transform matrix).
 *
 * <p>The rotation and the mirror mean exactly what they mean to {@link FrameSampler}, which feeds the
 * model from the analysis frames: the mask the model draws lines up with the preview the shaders draw
 * because both come from this one convention (the JVM test checks them pixel for pixel).
 */
public final class PreviewGeometry {
    private PreviewGeometry() {
    }

    /** Writes the matrix for a frame turned clockwise by {@code rotationDegrees}, mirrored or not. */
    public static void uprightToBuffer(int rotationDegrees, boolean mirror, float[] out) {
        int rotation = ((rotationDegrees % 360) + 360) % 360;
        // Sensor x, y (top-left origin) from the un-mirrored upright u', v: see FrameSampler.
        //   0: (u', v)   90: (v, 1-u')   180: (1-u', 1-v)   270: (1-v, u')
        float xu, xv, x0, yu, yv, y0;
        switch (rotation) {
            case 0: xu = 1; xv = 0; x0 = 0; yu = 0; yv = 1; y0 = 0; break;
            case 90: xu = 0; xv = 1; x0 = 0; yu = -1; yv = 0; y0 = 1; break;
            case 180: xu = -1; xv = 0; x0 = 1; yu = 0; yv = -1; y0 = 1; break;
            case 270: xu = 0; xv = -1; x0 = 1; yu = 1; yv = 0; y0 = 0; break;
            default: throw new IllegalArgumentException("rotation " + rotationDegrees + " is not a multiple of 90");
        }
        if (mirror) { // u' = 1 - u
            x0 += xu;
            xu = -xu;
            y0 += yu;
            yu = -yu;
        }
        java.util.Arrays.fill(out, 0, 16, 0f);
        // s = x; t = 1 - y.
        out[0] = xu;
        out[4] = xv;
        out[12] = x0;
        out[1] = -yu;
        out[5] = -yv;
        out[13] = 1 - y0;
        out[10] = 1;
        out[15] = 1;
    }
}
