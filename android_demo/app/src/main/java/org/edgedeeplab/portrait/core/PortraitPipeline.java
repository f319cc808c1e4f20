package org.edgedeeplab.portrait.core;

import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * One camera frame through portrait mode, everything but the camera and the interpreter:
 *
 * <ol>
 *   <li>resize the whole upright frame to the model's input (bilinear, as the evaluator measured it);</li>
 *   <li>pack it with the contract's normalisation and the input tensor's quantisation;</li>
 *   <li>run the model;</li>
 *   <li>decode the output into a person alpha (any output kind) and smooth it over time, at the model's
 *       resolution where it is cheap;</li>
 *   <li>scale the alpha up to the frame, sharpen its uncertain band and feather it;</li>
 *   <li>blend the frame over a blurred or replaced background.</li>
 * </ol>
 * Not thread-safe: one instance per analysis thread. Buffers are reused from frame to frame.
 */
public final class PortraitPipeline {
    public enum Effect { BLUR, REPLACE, MASK }

    /** The interpreter, as the pipeline sees it. */
    public interface Model {
        void run(ByteBuffer input, ByteBuffer output);
    }

    /** Times of the last frame. */
    public static final class Timing {
        public final double inferenceMs;
        public final double totalMs;

        Timing(double inferenceMs, double totalMs) {
            this.inferenceMs = inferenceMs;
            this.totalMs = totalMs;
        }
    }

    // Matte shaping: the band of the model's alpha stretched to 0..1, and the feather width as a
    // fraction of the frame's shorter side (3 px at 480 px).
    static final float RAMP_LOW = 0.25f;
    static final float RAMP_HIGH = 0.75f;
    static final int FEATHER_DIVISOR = 160;
    // Smoothing: damp small changes to a third per frame, follow changes over ~0.5 at once.
    static final float SMOOTH_BASE_GAIN = 0.35f;
    static final float SMOOTH_MOTION_GAIN = 1.5f;
    static final int REPLACE_TOP = 0xFF1E3C72;
    static final int REPLACE_BOTTOM = 0xFF2A9D8F;

    public final ModelIo io;
    private final Model model;
    private final ByteBuffer input;
    private final ByteBuffer output;
    private final int[] modelPixels;
    private final float[] modelAlpha;
    private final TemporalSmoother smoother = new TemporalSmoother(SMOOTH_BASE_GAIN, SMOOTH_MOTION_GAIN);
    private final Compositor.BackgroundBlur blur = new Compositor.BackgroundBlur(4, 6, 3);
    private Effect effect = Effect.BLUR;

    private int frameW = -1;
    private int frameH = -1;
    private float[] alpha;
    private float[] scratch;
    private int[] background;
    private boolean backgroundIsGradient = false;

    public PortraitPipeline(ModelIo io, Model model) {
        this.io = io;
        this.model = model;
        io.contract.portraitClass(); // fails now, with its message, if the model has no person class
        input = InputPacker.allocate(io.input);
        output = InputPacker.allocate(io.output);
        modelPixels = new int[io.contract.inputWidth * io.contract.inputHeight];
        modelAlpha = new float[io.outputWidth * io.outputHeight];
    }

    public void setEffect(Effect effect) {
        this.effect = effect;
    }

    public Effect effect() {
        return effect;
    }

    /** Forget the previous frames (camera switched: their mask says nothing about this view). */
    public void reset() {
        smoother.reset();
    }

    /** {@code frame}: upright ARGB_8888, w x h. Writes the portrait into {@code out} (w * h). */
    public Timing process(int[] frame, int w, int h, int[] out) {
        long start = System.nanoTime();
        prepare(w, h);
        int inW = io.contract.inputWidth;
        int inH = io.contract.inputHeight;
        ImageResize.argb(frame, w, h, modelPixels, inW, inH);
        InputPacker.pack(modelPixels, inW, inH, io.contract, io.input, input);
        ((Buffer) output).rewind(); // through Buffer: see InputPacker
        long before = System.nanoTime();
        model.run(input, output);
        long after = System.nanoTime();
        ((Buffer) output).rewind();
        OutputDecoder.personAlpha(output, io, modelAlpha);
        smoother.apply(modelAlpha, modelAlpha.length);
        ImageResize.plane(modelAlpha, io.outputWidth, io.outputHeight, alpha, w, h);
        Matte.ramp(alpha, w * h, RAMP_LOW, RAMP_HIGH);
        Matte.feather(alpha, w, h, Math.max(1, Math.min(w, h) / FEATHER_DIVISOR), 2, scratch);
        switch (effect) {
            case BLUR:
                blur.apply(frame, w, h, background);
                backgroundIsGradient = false;
                Compositor.blend(frame, alpha, background, out, w * h);
                break;
            case REPLACE:
                if (!backgroundIsGradient) {
                    Compositor.gradient(REPLACE_TOP, REPLACE_BOTTOM, w, h, background);
                    backgroundIsGradient = true;
                }
                Compositor.blend(frame, alpha, background, out, w * h);
                break;
            case MASK:
                for (int i = 0; i < w * h; i++) {
                    int v = Math.round(alpha[i] * 255f);
                    out[i] = 0xFF000000 | v << 16 | v << 8 | v;
                }
                break;
            default:
                throw new IllegalStateException();
        }
        long end = System.nanoTime();
        return new Timing((after - before) / 1e6, (end - start) / 1e6);
    }

    private void prepare(int w, int h) {
        if (w == frameW && h == frameH) {
            return;
        }
        frameW = w;
        frameH = h;
        alpha = new float[w * h];
        scratch = new float[w * h];
        background = new int[w * h];
        backgroundIsGradient = false;
    }
}
