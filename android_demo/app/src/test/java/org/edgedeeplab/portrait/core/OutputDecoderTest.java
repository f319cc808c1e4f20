package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class OutputDecoderTest {
    private static ModelIo io(OutputKind kind, TensorSpec output, String... labels) {
        ModelContract c = Contracts.of(2, 2, 127.5f, 127.5f, kind, 1, labels);
        return ModelIo.check(c, TensorSpec.float32(1, 2, 2, 3), output);
    }

    @Test
    public void probabilitiesGiveThePersonChannelClamped() {
        ModelIo io = io(OutputKind.PROBABILITIES, TensorSpec.float32(1, 2, 2, 3), "background", "person", "cat");
        TensorData raw = new TensorData(io.output);
        raw.floats = new float[] {0.1f, 0.7f, 0.2f, /**/ 0.5f, 0.25f, 0.25f, /**/ 0f, 1.0000001f, 0f, /**/ 0f, -1e-7f, 1f};
        float[] alpha = new float[4];
        OutputDecoder.personAlpha(raw, io, alpha);
        assertArrayEquals(new float[] {0.7f, 0.25f, 1f, 0f}, alpha, 0f);
    }

    @Test
    public void quantisedOutputsAreDequantisedFirst() {
        // uint8 probabilities, scale 1/256, zero point 0; int8 person alpha, scale 1/256, zero point -128.
        TensorSpec u8 = new TensorSpec(TensorSpec.Type.UINT8, new int[] {1, 2, 2, 2}, 1f / 256f, 0);
        ModelIo probabilities = io(OutputKind.PROBABILITIES, u8, "background", "person");
        TensorData raw = new TensorData(u8);
        raw.bytes = new byte[] {(byte) 255, 0, 0, (byte) 255, (byte) 128, (byte) 128, 64, (byte) 192};
        float[] alpha = new float[4];
        OutputDecoder.personAlpha(raw, probabilities, alpha);
        assertArrayEquals(new float[] {0f, 255f / 256f, 0.5f, 0.75f}, alpha, 0f);

        TensorSpec i8 = new TensorSpec(TensorSpec.Type.INT8, new int[] {1, 2, 2, 1}, 1f / 256f, -128);
        ModelIo personAlpha = io(OutputKind.PERSON_ALPHA, i8, "background", "person");
        TensorData alphaRaw = new TensorData(i8);
        alphaRaw.bytes = new byte[] {-128, 127, 0, -64};
        OutputDecoder.personAlpha(alphaRaw, personAlpha, alpha);
        assertArrayEquals(new float[] {0f, 255f / 256f, 0.5f, 0.25f}, alpha, 0f);
    }

    @Test
    public void aShortOutputArrayIsAnError() {
        ModelIo io = io(OutputKind.PERSON_ALPHA, TensorSpec.float32(1, 2, 2, 1), "background", "person");
        assertThrows(IllegalArgumentException.class,
                () -> OutputDecoder.personAlpha(new TensorData(io.output), io, new float[3]));
    }
}
