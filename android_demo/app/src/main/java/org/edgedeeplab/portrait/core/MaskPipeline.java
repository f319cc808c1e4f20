package org.edgedeeplab.portrait.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The CPU's share of one camera frame, everything but the model and the shaders:
 *
 * <ol>
 *   <li>sample the RGBA analysis frame upright into the input tensor ({@link FrameSampler});</li>
 *   <li>run the model (LiteRT's CompiledModel on the GPU or CPU accelerator);</li>
 *   <li>read the person alpha from its probabilities ({@link OutputDecoder}: no softmax here);</li>
 *   <li>optionally smooth it over time ({@link TemporalSmoother}) and keep the main subject
 *       ({@link MainSubject}), at the model's output size, where it is cheap;</li>
 *   <li>write it as 8-bit levels into {@link #mask()}, which the renderer uploads as a texture: the
 *       upscaling, the edge ramp, the feathering, the background blur and the blend run in GL shaders.</li>
 * </ol>
 * Not thread-safe: one instance per analysis thread. Every buffer is made once, in the constructor.
 */
public final class MaskPipeline {
    /** The compiled model, as the pipeline sees it: fills {@code output} from {@code input}. */
    public interface Model {
        void run(TensorData input, TensorData output);
    }

    /** Times of the last frame, in milliseconds. */
    public static final class Timing {
        public double sampleMs;
        public double inferenceMs;
        public double maskMs;
        public double totalMs;
    }

    /** A pixel is person from this alpha on: main-subject regions are cut here, as in segment/masks.py. */
    public static final float PERSON_THRESHOLD = 0.5f;
    // Smoothing: damp small changes to a third per frame, follow changes over ~0.5 at once (the defaults
    // of edge_deeplab/segment/masks.py, which `predict --smooth` uses).
    static final float SMOOTH_BASE_GAIN = 0.35f;
    static final float SMOOTH_MOTION_GAIN = 1.5f;

    public final ModelIo io;
    private final Model model;
    private final FrameSampler sampler;
    private final TensorData input;
    private final TensorData output;
    private final float[] alpha;
    private final ByteBuffer mask;
    private final TemporalSmoother smoother = new TemporalSmoother(SMOOTH_BASE_GAIN, SMOOTH_MOTION_GAIN);
    private final MainSubject mainSubject = new MainSubject();
    private final Timing timing = new Timing();
    private boolean smoothing = true;
    private boolean mainSubjectOnly = false;

    public MaskPipeline(ModelIo io, Model model) {
        this.io = io;
        this.model = model;
        io.contract.portraitClass(); // fails now, with its message, if the model has no person class
        sampler = new FrameSampler(io.contract);
        input = new TensorData(io.input);
        output = new TensorData(io.output);
        alpha = new float[io.outputWidth * io.outputHeight];
        // Direct and native: GLES20.glTexSubImage2D reads it without a copy.
        mask = ByteBuffer.allocateDirect(alpha.length).order(ByteOrder.nativeOrder());
    }

    public void setSmoothing(boolean on) {
        if (on != smoothing) {
            smoother.reset(); // resuming must not blend in a frame from before the pause
        }
        smoothing = on;
    }

    public void setMainSubject(boolean on) {
        mainSubjectOnly = on;
    }

    /** Forget the previous frames (camera switched: their mask says nothing about this view). */
    public void reset() {
        smoother.reset();
    }

    /** One analysis frame (see {@link FrameSampler#sample}); the result is in {@link #mask()}. */
    public Timing process(ByteBuffer rgba, int width, int height, int rowStride, int rotationDegrees, boolean mirror) {
        long start = System.nanoTime();
        sampler.sample(rgba, width, height, rowStride, rotationDegrees, mirror, input);
        long beforeModel = System.nanoTime();
        model.run(input, output);
        long afterModel = System.nanoTime();
        OutputDecoder.personAlpha(output, io, alpha);
        if (smoothing) {
            smoother.apply(alpha, alpha.length);
        }
        if (mainSubjectOnly) {
            mainSubject.apply(alpha, io.outputWidth, io.outputHeight, PERSON_THRESHOLD);
        }
        for (int i = 0; i < alpha.length; i++) {
            mask.put(i, (byte) (int) (alpha[i] * 255f + 0.5f));
        }
        long end = System.nanoTime();
        timing.sampleMs = (beforeModel - start) / 1e6;
        timing.inferenceMs = (afterModel - beforeModel) / 1e6;
        timing.maskMs = (end - afterModel) / 1e6;
        timing.totalMs = (end - start) / 1e6;
        return timing;
    }

    /** The person alpha of the last frame as 0..255 levels, row-major, maskWidth() x maskHeight(). */
    public ByteBuffer mask() {
        return mask;
    }

    /** The last frame's alpha, after smoothing and main-subject selection (for tests). */
    float[] alpha() {
        return alpha;
    }

    public int maskWidth() {
        return io.outputWidth;
    }

    public int maskHeight() {
        return io.outputHeight;
    }
}
