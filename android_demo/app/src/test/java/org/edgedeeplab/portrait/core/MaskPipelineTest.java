package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import org.junit.Test;

public class MaskPipelineTest {
    /** A 2x3-output probabilities model whose person probability the test sets for each frame. */
    static final class FakeModel implements MaskPipeline.Model {
        float[] person = new float[6];
        float[] lastInput;

        @Override
        public void run(TensorData input, TensorData output) {
            lastInput = input.floats.clone();
            float[] out = new float[12]; // as LiteRT's readFloat() does: a new array every run
            for (int i = 0; i < 6; i++) {
                out[2 * i] = 1f - person[i];
                out[2 * i + 1] = person[i];
            }
            output.floats = out;
        }
    }

    private static MaskPipeline pipeline(FakeModel model) {
        ModelContract c = Contracts.of(4, 4, 127.5f, 127.5f, OutputKind.PROBABILITIES, 1, "background", "person");
        return new MaskPipeline(ModelIo.check(c, TensorSpec.float32(1, 4, 4, 3), TensorSpec.float32(1, 2, 3, 2)), model);
    }

    private static final ByteBuffer FRAME = FrameSamplerTest.rgba(new int[8 * 8], 8, 8, 32);

    private static int[] levels(ByteBuffer mask) {
        int[] out = new int[mask.capacity()];
        for (int i = 0; i < out.length; i++) out[i] = mask.get(i) & 0xFF;
        return out;
    }

    @Test
    public void theMaskIsThePersonProbabilityIn8BitLevels() {
        FakeModel model = new FakeModel();
        MaskPipeline p = pipeline(model);
        p.setSmoothing(false);
        model.person = new float[] {0f, 0.5f, 1f, 0.25f, 0.75f, 0.002f};
        MaskPipeline.Timing t = p.process(FRAME, 8, 8, 32, 90, true);
        assertEquals(3, p.maskWidth());
        assertEquals(2, p.maskHeight());
        assertArrayEquals(new int[] {0, 128, 255, 64, 191, 1}, levels(p.mask()));
        assertEquals(48, model.lastInput.length); // the frame reached the model, sampled to 4x4x3
        assertEquals(-1f, model.lastInput[0], 0f); // a black frame, (0 - 127.5) / 127.5
        assertTrue(t.totalMs >= t.inferenceMs && t.sampleMs >= 0 && t.maskMs >= 0);
    }

    @Test
    public void smoothingAndMainSubjectAreTogglesAppliedInThatOrder() {
        FakeModel model = new FakeModel();
        MaskPipeline p = pipeline(model);
        model.person = new float[] {1f, 0f, 1f, 1f, 0f, 0f};
        p.process(FRAME, 8, 8, 32, 0, false);
        model.person = new float[] {0.9f, 0f, 1f, 1f, 0.1f, 0f};
        p.process(FRAME, 8, 8, 32, 0, false);
        float[] smoothed = p.alpha().clone();
        // The same arithmetic as TemporalSmoother on its own.
        TemporalSmoother reference = new TemporalSmoother(MaskPipeline.SMOOTH_BASE_GAIN, MaskPipeline.SMOOTH_MOTION_GAIN);
        float[] first = {1f, 0f, 1f, 1f, 0f, 0f};
        float[] second = {0.9f, 0f, 1f, 1f, 0.1f, 0f};
        reference.apply(first, 6);
        reference.apply(second, 6);
        assertArrayEquals(second, smoothed, 0f);
        assertNotEquals(0.9f, smoothed[0], 1e-3f);

        p.setMainSubject(true);
        p.setSmoothing(false);
        model.person = new float[] {1f, 0f, 1f, 1f, 0f, 0f}; // regions {0, 3} and {2}: the first pair wins
        p.process(FRAME, 8, 8, 32, 0, false);
        assertArrayEquals(new float[] {1f, 0f, 0f, 1f, 0f, 0f}, p.alpha(), 0f);
    }

    @Test
    public void theMaskBufferIsMadeOnceAndKept() {
        FakeModel model = new FakeModel();
        MaskPipeline p = pipeline(model);
        ByteBuffer mask = p.mask();
        p.process(FRAME, 8, 8, 32, 0, false);
        p.process(FRAME, 8, 8, 32, 270, true);
        assertSame(mask, p.mask());
        assertTrue(mask.isDirect());
    }
}
