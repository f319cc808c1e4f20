package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.junit.Test;

public class ModelAssetsTest {
    static final String CONTRACT = ModelContractTest.PYTHON_JSON.replace("\"logits\"", "\"probabilities\"");

    static String tensor(String type, String shape, double scale, int zeroPoint) {
        return "{\"type\": \"" + type + "\", \"shape\": " + shape + ", \"scale\": " + scale + ", \"zero_point\": "
                + zeroPoint + "}";
    }

    /** models.json as edge_deeplab/deploy/android.py writes it. */
    static final String MODELS = "{\"gpu\": {\"file\": \"model_fp16.tflite\", \"format\": \"tflite fp16\", "
            + "\"input\": " + tensor("FLOAT32", "[1, 257, 257, 3]", 0.0, 0) + ", "
            + "\"output\": " + tensor("FLOAT32", "[1, 257, 257, 2]", 0.0, 0) + "}, "
            + "\"cpu\": {\"file\": \"model_int8.tflite\", \"format\": \"tflite int8\", "
            + "\"input\": " + tensor("INT8", "[1, 257, 257, 3]", 0.0078125, -1) + ", "
            + "\"output\": " + tensor("FLOAT32", "[1, 257, 257, 2]", 0.0, 0) + "}}";

    @Test
    public void readsBothModelsAndChecksEachAgainstTheContract() {
        ModelAssets assets = ModelAssets.parse(CONTRACT, MODELS);
        assertEquals("model_fp16.tflite", assets.forBackend(Backend.GPU).file);
        assertEquals("model_int8.tflite", assets.forBackend(Backend.CPU).file);
        ModelIo cpu = assets.forBackend(Backend.CPU).io;
        assertEquals(TensorSpec.Type.INT8, cpu.input.type);
        assertEquals(0.0078125f, cpu.input.scale, 0f);
        assertEquals(-1, cpu.input.zeroPoint);
        assertEquals(2, cpu.outputChannels);
    }

    @Test
    public void aMissingModelOrTensorsThatDisagreeAreRefusedWithTheFix() {
        String[][] cases = {
                {MODELS.replace("\"cpu\"", "\"npu\""), "no cpu model"},
                {MODELS.replace("\"zero_point\": -1", "\"zp\": -1"), "without its"},
                {MODELS.replace(tensor("FLOAT32", "[1, 257, 257, 2]", 0.0, 0) + "}, \"cpu\"",
                        tensor("FLOAT32", "[1, 257, 257, 3]", 0.0, 0) + "}, \"cpu\""), "does not hold 2 class"},
                {"not json", "models.json is not a JSON object"},
        };
        for (String[] c : cases) {
            ContractException e = assertThrows(c[1], ContractException.class, () -> ModelAssets.parse(CONTRACT, c[0]));
            assertTrue(c[1] + " in: " + e.getMessage(), e.getMessage().contains(c[1]));
        }
        ContractException logits = assertThrows(ContractException.class,
                () -> ModelAssets.parse(ModelContractTest.PYTHON_JSON, MODELS));
        assertTrue(logits.getMessage(), logits.getMessage().contains("export-android"));
    }
}
