package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.Test;

/** The whole frame path with a stand-in for the interpreter that "segments" red pixels as person. */
public class PortraitPipelineTest {
    private static final int W = 64;
    private static final int H = 48;
    private static final int RED = 0xFFE01010;

    /** A red person-shaped block on a green/blue checkerboard. */
    private static int[] frame() {
        int[] frame = new int[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                boolean person = x >= 16 && x < 48 && y >= 8 && y < 40;
                frame[y * W + x] = person ? RED : ((x / 2 + y / 2) % 2 == 0 ? 0xFF10A010 : 0xFF1010A0);
            }
        }
        return frame;
    }

    /** person_alpha model, float I/O, 8x8, MediaPipe-style normalisation x / 255. */
    private static final class RedIsPerson implements PortraitPipeline.Model {
        int calls = 0;

        @Override
        public void run(ByteBuffer input, ByteBuffer output) {
            calls++;
            for (int i = 0; i < 64; i++) {
                float r = input.getFloat(i * 12);
                assertTrue("normalised input " + r, r >= 0f && r <= 1f);
                output.putFloat(i * 4, r > 0.5f ? 1f : 0f);
            }
        }
    }

    private static void assertClose(int expected, int actual) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int e = expected >> shift & 0xFF;
            int a = actual >> shift & 0xFF;
            assertTrue(String.format("expected %08x got %08x", expected, actual), Math.abs(e - a) <= 1);
        }
    }

    private static PortraitPipeline alphaPipeline(RedIsPerson model) {
        ModelContract contract = Contracts.of(8, 8, 0f, 255f, OutputKind.PERSON_ALPHA, 1, "background", "person");
        ModelIo io = ModelIo.check(contract, TensorSpec.float32(1, 8, 8, 3), TensorSpec.float32(1, 8, 8, 1));
        return new PortraitPipeline(io, model);
    }

    @Test
    public void blurKeepsThePersonSharpAndBlursTheBackground() {
        RedIsPerson model = new RedIsPerson();
        PortraitPipeline pipeline = alphaPipeline(model);
        int[] frame = frame();
        int[] out = new int[W * H];
        PortraitPipeline.Timing t = pipeline.process(frame, W, H, out);
        assertEquals(1, model.calls);
        assertTrue(t.inferenceMs >= 0 && t.totalMs >= t.inferenceMs);
        assertClose(RED, out[24 * W + 32]); // inside the person

        int[] blurred = new int[W * H];
        new Compositor.BackgroundBlur(4, 6, 3).apply(frame, W, H, blurred);
        for (int i : new int[] {0, W - 1, (H - 1) * W, 3 * W + 60}) {
            assertEquals("background pixel " + i, blurred[i], out[i]);
            assertNotEquals(frame[i], out[i]);
        }
    }

    @Test
    public void replaceAndMaskEffects() {
        PortraitPipeline pipeline = alphaPipeline(new RedIsPerson());
        int[] out = new int[W * H];
        pipeline.setEffect(PortraitPipeline.Effect.REPLACE);
        pipeline.process(frame(), W, H, out);
        assertEquals(PortraitPipeline.REPLACE_TOP, out[0]);
        assertEquals(PortraitPipeline.REPLACE_BOTTOM, out[(H - 1) * W + 5]);
        assertClose(RED, out[24 * W + 32]);

        pipeline.setEffect(PortraitPipeline.Effect.MASK);
        pipeline.process(frame(), W, H, out);
        assertEquals(0xFF000000, out[0]);
        assertClose(0xFFFFFFFF, out[24 * W + 32]);
        // the edge is feathered: somewhere between person and background the matte is partial
        boolean partial = false;
        for (int x = 0; x < W; x++) {
            int v = out[24 * W + x] & 0xFF;
            partial |= v > 10 && v < 245;
        }
        assertTrue(partial);
    }

    @Test
    public void aQuantisedLogitsModelRunsThroughTheSamePath() {
        // uint8 input (scale 1/255: q = pixel), two-class float logits output at half resolution.
        ModelContract contract = Contracts.of(8, 8, 0f, 255f, OutputKind.LOGITS, -1, "background", "person");
        TensorSpec in = new TensorSpec(TensorSpec.Type.UINT8, new int[] {1, 8, 8, 3}, 1f / 255f, 0);
        ModelIo io = ModelIo.check(contract, in, TensorSpec.float32(1, 4, 4, 2));
        PortraitPipeline pipeline = new PortraitPipeline(io, (input, output) -> {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    int red = input.get(((2 * y) * 8 + 2 * x) * 3) & 0xFF;
                    float person = red > 127 ? 10f : -10f;
                    output.putFloat(((y * 4 + x) * 2) * 4, 0f);
                    output.putFloat(((y * 4 + x) * 2 + 1) * 4, person);
                }
            }
        });
        int[] out = new int[W * H];
        pipeline.setEffect(PortraitPipeline.Effect.MASK);
        pipeline.process(frame(), W, H, out);
        assertClose(0xFFFFFFFF, out[24 * W + 32]);
        assertEquals(0xFF000000, out[0]);
    }

    @Test
    public void aSteadySceneGivesASteadyPicture() {
        PortraitPipeline pipeline = alphaPipeline(new RedIsPerson());
        int[] first = new int[W * H];
        int[] second = new int[W * H];
        pipeline.process(frame(), W, H, first);
        pipeline.process(frame(), W, H, second);
        assertTrue(Arrays.equals(first, second));
        pipeline.reset();
        pipeline.process(frame(), W, H, second);
        assertTrue(Arrays.equals(first, second));
    }
}
