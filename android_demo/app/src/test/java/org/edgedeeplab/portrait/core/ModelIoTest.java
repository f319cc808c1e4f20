package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class ModelIoTest {
    private static final TensorSpec INPUT = TensorSpec.float32(1, 257, 257, 3);

    private static void rejects(ModelContract c, TensorSpec in, TensorSpec out, String expected) {
        ContractException e = assertThrows(ContractException.class, () -> ModelIo.check(c, in, out));
        assertTrue(expected + " in: " + e.getMessage(), e.getMessage().contains(expected));
    }

    @Test
    public void acceptsWhatTheContractDescribes() {
        ModelIo io = ModelIo.check(Contracts.deeplab(257, 257, OutputKind.PROBABILITIES), INPUT,
                TensorSpec.float32(1, 65, 65, 3));
        assertEquals(65, io.outputHeight);
        assertEquals(65, io.outputWidth);
        assertEquals(3, io.outputChannels);
        ModelIo alpha = ModelIo.check(Contracts.deeplab(257, 257, OutputKind.PERSON_ALPHA),
                new TensorSpec(TensorSpec.Type.UINT8, new int[] {1, 257, 257, 3}, 0.0078f, 128),
                new TensorSpec(TensorSpec.Type.UINT8, new int[] {1, 257, 257, 1}, 1f / 256f, 0));
        assertEquals(257, alpha.outputWidth);
    }

    @Test
    public void rejectsTensorsTheContractDoesNotDescribe() {
        ModelContract logits = Contracts.deeplab(257, 257, OutputKind.PROBABILITIES);
        TensorSpec out3 = TensorSpec.float32(1, 257, 257, 3);
        rejects(logits, TensorSpec.float32(1, 256, 256, 3), out3, "input is 256x256 but its contract says 257x257");
        rejects(logits, TensorSpec.float32(2, 257, 257, 3), out3, "re-export it with batch 1");
        rejects(logits, TensorSpec.float32(1, 257, 257, 4), out3, "not one RGB image");
        rejects(logits, new TensorSpec(TensorSpec.Type.INT32, new int[] {1, 257, 257, 3}, 0f, 0), out3, "input type");
        rejects(logits, INPUT, TensorSpec.float32(1, 257, 257, 21), "does not hold 3 class scores");
        rejects(logits, INPUT, TensorSpec.float32(4, 257, 257, 3), "batch 1");
        rejects(logits, INPUT, new TensorSpec(TensorSpec.Type.INT8, new int[] {1, 257, 257, 3}, 0f, 0),
                "neither float nor quantised");
        rejects(Contracts.deeplab(257, 257, OutputKind.PERSON_ALPHA), INPUT, out3, "not a person alpha");
    }

    @Test
    public void refusesLogitsAndLabelMapsWithTheFix() {
        // No softmax runs in the app: export-android appends it to the model.
        rejects(Contracts.deeplab(257, 257, OutputKind.LOGITS), INPUT, TensorSpec.float32(1, 257, 257, 3),
                "outputs logits; install it with `edge-deeplab export-android`");
        rejects(Contracts.deeplab(257, 257, OutputKind.LABEL_MAP), INPUT,
                new TensorSpec(TensorSpec.Type.INT32, new int[] {1, 257, 257}, 0f, 0), "--output-kind probabilities");
    }
}
