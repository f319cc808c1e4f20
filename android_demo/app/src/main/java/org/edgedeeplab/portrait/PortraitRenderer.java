package org.edgedeeplab.portrait;

import android.content.res.AssetManager;
import android.graphics.SurfaceTexture;
import android.opengl.GLES11Ext;
import android.opengl.GLES20;
import android.opengl.GLSurfaceView;
import android.opengl.Matrix;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;

import javax.microedition.khronos.egl.EGLConfig;
import javax.microedition.khronos.opengles.GL10;

import org.edgedeeplab.portrait.core.PreviewGeometry;

/**
 * The live preview, composited on the GPU (OpenGL ES 2.0): the camera arrives as an external texture
 * (CameraX writes into this renderer's SurfaceTexture), is drawn small into an offscreen texture and
 * blurred there in two separable Gaussian passes, and the screen pass blends the sharp camera over that
 * background by the person alpha of the latest finished inference, uploaded as an 8-bit texture at the
 * model's resolution. The preview runs at the camera's rate; the mask changes at the model's rate.
 *
 * <p>Threads: the GL thread owns every GL object; the analysis thread hands over masks through
 * {@link #publishMask} (a copy under a lock into a buffer made once), the UI thread sets the mode and
 * the camera's rotation. Nothing on the per-frame path allocates.
 */
final class PortraitRenderer implements GLSurfaceView.Renderer, SurfaceTexture.OnFrameAvailableListener {
    enum Mode { BLUR, REPLACE, MASK, OFF }

    /** Called on the GL thread once the camera's SurfaceTexture exists (CameraX can be bound then). */
    interface Listener {
        void onCameraTextureReady(SurfaceTexture texture);
    }

    // The matte's uncertain band stretched to 0..1 and the replacement gradient (top, bottom), as before
    // in Java: the same look, now per fragment.
    private static final float RAMP_LOW = 0.25f;
    private static final float RAMP_HIGH = 0.75f;
    private static final float[] REPLACE_TOP = {0x1E / 255f, 0x3C / 255f, 0x72 / 255f};
    private static final float[] REPLACE_BOTTOM = {0x2A / 255f, 0x9D / 255f, 0x8F / 255f};
    /** The blur's offscreen size is the view's divided by this. */
    private static final int BLUR_DOWNSCALE = 4;
    /** Distance between the Gaussian's taps, in blur texels: wider reads blur more at the same cost. */
    private static final float BLUR_SPREAD = 1.5f;

    private final AssetManager assets;
    private final GLSurfaceView view;
    private final Listener listener;
    private final FloatBuffer quad = ByteBuffer.allocateDirect(8 * 4).order(ByteOrder.nativeOrder()).asFloatBuffer()
            .put(new float[] {-1, -1, 1, -1, -1, 1, 1, 1});

    // Written by other threads, read on the GL thread.
    private volatile Mode mode = Mode.BLUR;
    private volatile int rotationDegrees = 0;
    private volatile boolean mirror = true;
    private final Object maskLock = new Object();
    private ByteBuffer pendingMask = ByteBuffer.allocateDirect(0);
    private int pendingWidth = 0;
    private int pendingHeight = 0;
    private boolean maskChanged = false;

    // GL thread only.
    private SurfaceTexture cameraTexture;
    private int cameraTextureId;
    private int maskTextureId;
    private int maskWidth = 0;
    private int maskHeight = 0;
    private final int[] blurTextures = new int[2];
    private final int[] blurFramebuffers = new int[2];
    private int blurWidth;
    private int blurHeight;
    private int viewWidth;
    private int viewHeight;
    private int cameraProgram;
    private int blurProgram;
    private int compositeProgram;
    private final float[] surfaceMatrix = new float[16];
    private final float[] uprightMatrix = new float[16];
    private final float[] cameraMatrix = new float[16];

    PortraitRenderer(AssetManager assets, GLSurfaceView view, Listener listener) {
        this.assets = assets;
        this.view = view;
        this.listener = listener;
        quad.position(0);
    }

    void setMode(Mode mode) {
        this.mode = mode;
        view.requestRender();
    }

    /** The preview buffer's rotation (CameraX's TransformationInfo) and whether to mirror it (front camera). */
    void setCameraOrientation(int rotationDegrees, boolean mirror) {
        this.rotationDegrees = rotationDegrees;
        this.mirror = mirror;
    }

    /** The analysis thread's latest mask (w x h levels); copied, so the caller may reuse its buffer at once. */
    void publishMask(ByteBuffer mask, int width, int height) {
        synchronized (maskLock) {
            if (pendingMask.capacity() != width * height) {
                pendingMask = ByteBuffer.allocateDirect(width * height); // once per model, not per frame
            }
            ByteBuffer source = mask.duplicate();
            source.position(0).limit(width * height);
            pendingMask.position(0);
            pendingMask.put(source);
            pendingMask.position(0);
            pendingWidth = width;
            pendingHeight = height;
            maskChanged = true;
        }
        view.requestRender();
    }

    @Override
    public void onFrameAvailable(SurfaceTexture texture) {
        view.requestRender(); // draw at the camera's rate
    }

    @Override
    public void onSurfaceCreated(GL10 unused, EGLConfig config) {
        cameraProgram = program("shaders/upright.vert", "shaders/camera.frag");
        blurProgram = program("shaders/texture.vert", "shaders/blur.frag");
        compositeProgram = program("shaders/upright.vert", "shaders/composite.frag");
        int[] ids = new int[2];
        GLES20.glGenTextures(2, ids, 0);
        cameraTextureId = ids[0];
        maskTextureId = ids[1];
        GLES20.glBindTexture(GLES11Ext.GL_TEXTURE_EXTERNAL_OES, cameraTextureId);
        linearClamp(GLES11Ext.GL_TEXTURE_EXTERNAL_OES);
        GLES20.glBindTexture(GLES20.GL_TEXTURE_2D, maskTextureId);
        linearClamp(GLES20.GL_TEXTURE_2D);
        GLES20.glGenTextures(2, blurTextures, 0);
        GLES20.glGenFramebuffers(2, blurFramebuffers, 0);
        if (cameraTexture != null) {
            cameraTexture.release(); // the old context (before a pause) is gone; the camera is rebound below
        }
        cameraTexture = new SurfaceTexture(cameraTextureId);
        cameraTexture.setOnFrameAvailableListener(this);
        maskWidth = 0; // a new context has no mask texture yet
        listener.onCameraTextureReady(cameraTexture);
    }

    @Override
    public void onSurfaceChanged(GL10 unused, int width, int height) {
        viewWidth = width;
        viewHeight = height;
        blurWidth = Math.max(1, width / BLUR_DOWNSCALE);
        blurHeight = Math.max(1, height / BLUR_DOWNSCALE);
        for (int i = 0; i < 2; i++) {
            GLES20.glBindTexture(GLES20.GL_TEXTURE_2D, blurTextures[i]);
            linearClamp(GLES20.GL_TEXTURE_2D);
            GLES20.glTexImage2D(GLES20.GL_TEXTURE_2D, 0, GLES20.GL_RGB, blurWidth, blurHeight, 0, GLES20.GL_RGB,
                    GLES20.GL_UNSIGNED_BYTE, null);
            GLES20.glBindFramebuffer(GLES20.GL_FRAMEBUFFER, blurFramebuffers[i]);
            GLES20.glFramebufferTexture2D(GLES20.GL_FRAMEBUFFER, GLES20.GL_COLOR_ATTACHMENT0, GLES20.GL_TEXTURE_2D,
                    blurTextures[i], 0);
        }
        GLES20.glBindFramebuffer(GLES20.GL_FRAMEBUFFER, 0);
    }

    @Override
    public void onDrawFrame(GL10 unused) {
        cameraTexture.updateTexImage();
        cameraTexture.getTransformMatrix(surfaceMatrix);
        PreviewGeometry.uprightToBuffer(rotationDegrees, mirror, uprightMatrix);
        Matrix.multiplyMM(cameraMatrix, 0, surfaceMatrix, 0, uprightMatrix, 0);
        uploadMask();
        Mode current = maskWidth == 0 && mode != Mode.OFF ? Mode.OFF : mode; // no inference yet: the plain preview
        if (current == Mode.BLUR) {
            GLES20.glViewport(0, 0, blurWidth, blurHeight);
            GLES20.glBindFramebuffer(GLES20.GL_FRAMEBUFFER, blurFramebuffers[0]);
            GLES20.glUseProgram(cameraProgram);
            bindCamera(cameraProgram, 0);
            drawQuad(cameraProgram);
            blurPass(blurTextures[0], blurFramebuffers[1], BLUR_SPREAD / blurWidth, 0f);
            blurPass(blurTextures[1], blurFramebuffers[0], 0f, BLUR_SPREAD / blurHeight);
            GLES20.glBindFramebuffer(GLES20.GL_FRAMEBUFFER, 0);
        }
        GLES20.glViewport(0, 0, viewWidth, viewHeight);
        GLES20.glUseProgram(compositeProgram);
        bindCamera(compositeProgram, 0);
        GLES20.glActiveTexture(GLES20.GL_TEXTURE1);
        GLES20.glBindTexture(GLES20.GL_TEXTURE_2D, maskTextureId);
        GLES20.glUniform1i(GLES20.glGetUniformLocation(compositeProgram, "uMask"), 1);
        GLES20.glActiveTexture(GLES20.GL_TEXTURE2);
        GLES20.glBindTexture(GLES20.GL_TEXTURE_2D, blurTextures[0]);
        GLES20.glUniform1i(GLES20.glGetUniformLocation(compositeProgram, "uBackground"), 2);
        GLES20.glUniform1i(GLES20.glGetUniformLocation(compositeProgram, "uMode"), current.ordinal());
        GLES20.glUniform3fv(GLES20.glGetUniformLocation(compositeProgram, "uReplaceTop"), 1, REPLACE_TOP, 0);
        GLES20.glUniform3fv(GLES20.glGetUniformLocation(compositeProgram, "uReplaceBottom"), 1, REPLACE_BOTTOM, 0);
        GLES20.glUniform2f(GLES20.glGetUniformLocation(compositeProgram, "uRamp"), RAMP_LOW, RAMP_HIGH);
        GLES20.glUniform2f(GLES20.glGetUniformLocation(compositeProgram, "uMaskTexel"),
                maskWidth > 0 ? 1f / maskWidth : 0f, maskHeight > 0 ? 1f / maskHeight : 0f);
        drawQuad(compositeProgram);
    }

    void release() {
        if (cameraTexture != null) {
            cameraTexture.release();
        }
    }

    private void uploadMask() {
        synchronized (maskLock) {
            if (!maskChanged) {
                return;
            }
            maskChanged = false;
            GLES20.glActiveTexture(GLES20.GL_TEXTURE1);
            GLES20.glBindTexture(GLES20.GL_TEXTURE_2D, maskTextureId);
            GLES20.glPixelStorei(GLES20.GL_UNPACK_ALIGNMENT, 1); // rows of an odd width (321) are not 4-aligned
            if (pendingWidth != maskWidth || pendingHeight != maskHeight) {
                GLES20.glTexImage2D(GLES20.GL_TEXTURE_2D, 0, GLES20.GL_LUMINANCE, pendingWidth, pendingHeight, 0,
                        GLES20.GL_LUMINANCE, GLES20.GL_UNSIGNED_BYTE, pendingMask);
                maskWidth = pendingWidth;
                maskHeight = pendingHeight;
            } else {
                GLES20.glTexSubImage2D(GLES20.GL_TEXTURE_2D, 0, 0, 0, maskWidth, maskHeight, GLES20.GL_LUMINANCE,
                        GLES20.GL_UNSIGNED_BYTE, pendingMask);
            }
        }
    }

    private void blurPass(int source, int target, float stepX, float stepY) {
        GLES20.glBindFramebuffer(GLES20.GL_FRAMEBUFFER, target);
        GLES20.glUseProgram(blurProgram);
        GLES20.glActiveTexture(GLES20.GL_TEXTURE0);
        GLES20.glBindTexture(GLES20.GL_TEXTURE_2D, source);
        GLES20.glUniform1i(GLES20.glGetUniformLocation(blurProgram, "uImage"), 0);
        GLES20.glUniform2f(GLES20.glGetUniformLocation(blurProgram, "uStep"), stepX, stepY);
        drawQuad(blurProgram);
    }

    private void bindCamera(int program, int unit) {
        GLES20.glActiveTexture(GLES20.GL_TEXTURE0 + unit);
        GLES20.glBindTexture(GLES11Ext.GL_TEXTURE_EXTERNAL_OES, cameraTextureId);
        GLES20.glUniform1i(GLES20.glGetUniformLocation(program, "uCamera"), unit);
        GLES20.glUniformMatrix4fv(GLES20.glGetUniformLocation(program, "uCameraMatrix"), 1, false, cameraMatrix, 0);
    }

    private void drawQuad(int program) {
        int position = GLES20.glGetAttribLocation(program, "aPosition");
        GLES20.glEnableVertexAttribArray(position);
        GLES20.glVertexAttribPointer(position, 2, GLES20.GL_FLOAT, false, 0, quad);
        GLES20.glDrawArrays(GLES20.GL_TRIANGLE_STRIP, 0, 4);
        GLES20.glDisableVertexAttribArray(position);
    }

    private static void linearClamp(int target) {
        GLES20.glTexParameteri(target, GLES20.GL_TEXTURE_MIN_FILTER, GLES20.GL_LINEAR);
        GLES20.glTexParameteri(target, GLES20.GL_TEXTURE_MAG_FILTER, GLES20.GL_LINEAR);
        GLES20.glTexParameteri(target, GLES20.GL_TEXTURE_WRAP_S, GLES20.GL_CLAMP_TO_EDGE);
        GLES20.glTexParameteri(target, GLES20.GL_TEXTURE_WRAP_T, GLES20.GL_CLAMP_TO_EDGE);
    }

    private int program(String vertexAsset, String fragmentAsset) {
        int program = GLES20.glCreateProgram();
        GLES20.glAttachShader(program, shader(GLES20.GL_VERTEX_SHADER, vertexAsset));
        GLES20.glAttachShader(program, shader(GLES20.GL_FRAGMENT_SHADER, fragmentAsset));
        GLES20.glLinkProgram(program);
        int[] linked = new int[1];
        GLES20.glGetProgramiv(program, GLES20.GL_LINK_STATUS, linked, 0);
        if (linked[0] == 0) {
            throw new IllegalStateException(vertexAsset + " + " + fragmentAsset + " do not link: "
                    + GLES20.glGetProgramInfoLog(program));
        }
        return program;
    }

    private int shader(int type, String asset) {
        int shader = GLES20.glCreateShader(type);
        GLES20.glShaderSource(shader, text(asset));
        GLES20.glCompileShader(shader);
        int[] compiled = new int[1];
        GLES20.glGetShaderiv(shader, GLES20.GL_COMPILE_STATUS, compiled, 0);
        if (compiled[0] == 0) {
            throw new IllegalStateException(asset + " does not compile: " + GLES20.glGetShaderInfoLog(shader));
        }
        return shader;
    }

    private String text(String asset) {
        try (InputStream in = assets.open(asset); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            byte[] chunk = new byte[4096];
            for (int n; (n = in.read(chunk)) > 0; ) {
                out.write(chunk, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("shader " + asset + " missing from the APK's assets", e);
        }
    }
}
