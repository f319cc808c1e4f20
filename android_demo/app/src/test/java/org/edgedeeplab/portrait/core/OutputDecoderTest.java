package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.Test;

public class OutputDecoderTest {
    private static ByteBuffer floats(float... values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
        for (float v : values) b.putFloat(v);
        b.rewind();
        return b;
    }

    private static ByteBuffer bytes(int... values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length).order(ByteOrder.nativeOrder());
        for (int v : values) b.put((byte) v);
        b.rewind();
        return b;
    }

    private static ModelIo io(OutputKind kind, TensorSpec output, int person, String... labels) {
        ModelContract c = Contracts.of(2, 2, 127.5f, 127.5f, kind, person, labels);
        return ModelIo.check(c, TensorSpec.float32(1, 2, 2, 3), output);
    }

    private static float softmax(int target, double... logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) max = Math.max(max, l);
        double sum = 0;
        for (double l : logits) sum += Math.exp(l - max);
        return (float) (Math.exp(logits[target] - max) / sum);
    }

    @Test
    public void logitsGiveTheSoftmaxOfPersonAndTheArgmax() {
        // 2x2 pixels, 3 classes (background, person, cat), person = 1.
        ByteBuffer raw = floats(
                0f, 2f, 1f, /**/ 5f, -1f, 0f,
                1f, 1f, 1f, /**/ -300f, 400f, 399f);
        ModelIo io = io(OutputKind.LOGITS, TensorSpec.float32(1, 2, 2, 3), 1, "background", "person", "cat");
        float[] alpha = new float[4];
        OutputDecoder.personAlpha(raw, io, alpha);
        assertEquals(softmax(1, 0, 2, 1), alpha[0], 1e-7f);
        assertEquals(softmax(1, 5, -1, 0), alpha[1], 1e-7f);
        assertEquals(1f / 3f, alpha[2], 1e-7f);
        assertEquals(softmax(1, -300, 400, 399), alpha[3], 1e-7f); // large logits stay finite
        int[] labels = new int[4];
        OutputDecoder.labelMap(raw, io, labels);
        assertArrayEquals(new int[] {1, 0, 0, 1}, labels); // the tie (1, 1, 1) goes to class 0, as numpy
    }

    @Test
    public void quantisedLogitsAreDequantisedFirst() {
        // int8, scale 0.5, zero point -10: q -> (q + 10) * 0.5
        ByteBuffer raw = bytes(-10, -6, -8, /**/ 20, -10, 0, /**/ 0, 0, 0, /**/ -128, 127, 126);
        TensorSpec spec = new TensorSpec(TensorSpec.Type.INT8, new int[] {1, 2, 2, 3}, 0.5f, -10);
        ModelIo io = io(OutputKind.LOGITS, spec, 1, "background", "person", "cat");
        float[] alpha = new float[4];
        OutputDecoder.personAlpha(raw, io, alpha);
        assertEquals(softmax(1, 0, 2, 1), alpha[0], 1e-7f);
        assertEquals(softmax(1, 15, 0, 5), alpha[1], 1e-7f);
        assertEquals(softmax(1, -59, 68.5, 68), alpha[3], 1e-7f);
        int[] labels = new int[4];
        OutputDecoder.labelMap(raw, io, labels);
        assertArrayEquals(new int[] {1, 0, 0, 1}, labels);
    }

    @Test
    public void probabilitiesPickThePersonChannel() {
        ByteBuffer raw = floats(0.1f, 0.7f, 0.2f, /**/ 0.5f, 0.25f, 0.25f, /**/ 0f, 1.0000001f, 0f, /**/ 0.3f, 0.3f, 0.4f);
        ModelIo io = io(OutputKind.PROBABILITIES, TensorSpec.float32(1, 2, 2, 3), 1, "background", "person", "cat");
        float[] alpha = new float[4];
        OutputDecoder.personAlpha(raw, io, alpha);
        assertArrayEquals(new float[] {0.7f, 0.25f, 1f, 0.3f}, alpha, 0f);
        int[] labels = new int[4];
        OutputDecoder.labelMap(raw, io, labels);
        assertArrayEquals(new int[] {1, 0, 1, 2}, labels);

        // uint8 softmax output, scale 1/256; a zero point of 5 shifts every probability (unlike logits).
        ByteBuffer q = bytes(5, 255, 5, /**/ 133, 69, 69, /**/ 15, 25, 231, /**/ 5, 5, 5);
        TensorSpec spec = new TensorSpec(TensorSpec.Type.UINT8, new int[] {1, 2, 2, 3}, 1f / 256f, 5);
        ModelIo qio = io(OutputKind.PROBABILITIES, spec, 1, "background", "person", "cat");
        OutputDecoder.personAlpha(q, qio, alpha);
        assertArrayEquals(new float[] {250f / 256f, 0.25f, 20f / 256f, 0f}, alpha, 0f);
        OutputDecoder.labelMap(q, qio, labels);
        assertArrayEquals(new int[] {1, 0, 2, 0}, labels);
    }

    @Test
    public void labelMapsPassThroughInInt32AndInt64() {
        ByteBuffer int32 = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        int32.putInt(0).putInt(1).putInt(2).putInt(1).rewind();
        ModelIo io32 = io(OutputKind.LABEL_MAP, new TensorSpec(TensorSpec.Type.INT32, new int[] {1, 2, 2}, 0f, 0), 1,
                "background", "person", "cat");
        float[] alpha = new float[4];
        int[] labels = new int[4];
        OutputDecoder.personAlpha(int32, io32, alpha);
        OutputDecoder.labelMap(int32, io32, labels);
        assertArrayEquals(new float[] {0f, 1f, 0f, 1f}, alpha, 0f);
        assertArrayEquals(new int[] {0, 1, 2, 1}, labels);

        ByteBuffer int64 = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
        int64.putLong(2).putLong(2).putLong(1).putLong(0).rewind();
        ModelIo io64 = io(OutputKind.LABEL_MAP, new TensorSpec(TensorSpec.Type.INT64, new int[] {1, 2, 2, 1}, 0f, 0), 1,
                "background", "person", "cat");
        OutputDecoder.personAlpha(int64, io64, alpha);
        OutputDecoder.labelMap(int64, io64, labels);
        assertArrayEquals(new float[] {0f, 0f, 1f, 0f}, alpha, 0f);
        assertArrayEquals(new int[] {2, 2, 1, 0}, labels);
    }

    @Test
    public void personAlphaIsClampedAndThresholdedAtOneHalf() {
        ByteBuffer raw = floats(-0.2f, 0.5f, 0.49f, 1.3f);
        // person is class 0 here, so "not person" is class 1
        ModelIo io = io(OutputKind.PERSON_ALPHA, TensorSpec.float32(1, 2, 2, 1), 0, "person", "background");
        float[] alpha = new float[4];
        int[] labels = new int[4];
        OutputDecoder.personAlpha(raw, io, alpha);
        OutputDecoder.labelMap(raw, io, labels);
        assertArrayEquals(new float[] {0f, 0.5f, 0.49f, 1f}, alpha, 0f);
        assertArrayEquals(new int[] {1, 0, 1, 0}, labels);
    }

    @Test
    public void readsTheBufferInItsOwnByteOrder() {
        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        big.putFloat(0.25f).putFloat(0.5f).putFloat(0.75f).putFloat(1f).rewind();
        ByteBuffer little = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        little.putFloat(0.25f).putFloat(0.5f).putFloat(0.75f).putFloat(1f).rewind();
        ModelIo io = io(OutputKind.PERSON_ALPHA, TensorSpec.float32(1, 2, 2, 1), 1, "background", "person");
        float[] a = new float[4];
        float[] b = new float[4];
        OutputDecoder.personAlpha(big, io, a);
        OutputDecoder.personAlpha(little, io, b);
        assertArrayEquals(new float[] {0.25f, 0.5f, 0.75f, 1f}, a, 0f);
        assertArrayEquals(a, b, 0f);
    }
}
