package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import org.junit.Test;

public class ModelContractTest {
    /** ModelContract(labels=("background", "person"), 257, 257, person_class=1).to_json(), verbatim. */
    static final String PYTHON_JSON = "{\n  \"input_height\": 257,\n  \"input_width\": 257,\n  \"labels\": [\n"
            + "    \"background\",\n    \"person\"\n  ],\n  \"mean\": [\n    127.5,\n    127.5,\n    127.5\n  ],\n"
            + "  \"output_kind\": \"logits\",\n  \"person_class\": 1,\n  \"std\": [\n    127.5,\n    127.5,\n"
            + "    127.5\n  ],\n  \"version\": 1\n}";

    static String json(String labels, String kind, String person, String std, String extra) {
        return "{\"labels\": " + labels + ", \"input_height\": 256, \"input_width\": 144, \"mean\": [0, 10, 20], "
                + "\"std\": " + std + ", \"output_kind\": \"" + kind + "\", \"person_class\": " + person
                + ", \"version\": 1" + extra + "}";
    }

    @Test
    public void readsPythonsContract() {
        ModelContract c = ModelContract.fromJson(PYTHON_JSON);
        assertEquals(Arrays.asList("background", "person"), c.labels);
        assertEquals(257, c.inputHeight);
        assertEquals(257, c.inputWidth);
        assertArrayEquals(new float[] {127.5f, 127.5f, 127.5f}, c.mean, 0f);
        assertArrayEquals(new float[] {127.5f, 127.5f, 127.5f}, c.std, 0f);
        assertEquals(OutputKind.LOGITS, c.outputKind);
        assertEquals(1, c.personClass);
        assertEquals(1, c.portraitClass());
        assertEquals(0, c.backgroundClass());
        assertEquals(2, c.numClasses());
    }

    @Test
    public void keepsHeightAndWidthApartAndChannelsInOrder() {
        ModelContract c = ModelContract.fromJson(json("[\"bg\", \"person\"]", "person_alpha", "1", "[1, 2, 255]", ""));
        assertEquals(256, c.inputHeight);
        assertEquals(144, c.inputWidth);
        assertArrayEquals(new float[] {0f, 10f, 20f}, c.mean, 0f);
        assertArrayEquals(new float[] {1f, 2f, 255f}, c.std, 0f);
        assertEquals(OutputKind.PERSON_ALPHA, c.outputKind);
    }

    @Test
    public void findsThePersonByLabelWhenTheContractNamesNone() {
        ModelContract c = ModelContract.fromJson(json("[\"background\", \"cat\", \"Person\"]", "logits", "null",
                "[1, 1, 1]", ""));
        assertEquals(-1, c.personClass);
        assertEquals(2, c.portraitClass());
        assertEquals(0, c.backgroundClass());
        ModelContract first = ModelContract.fromJson(json("[\"person\", \"rest\"]", "logits", "null", "[1, 1, 1]", ""));
        assertEquals(1, first.backgroundClass());
    }

    @Test
    public void aModelWithoutPersonCannotDoPortraits() {
        ModelContract c = ModelContract.fromJson(json("[\"road\", \"car\"]", "logits", "null", "[1, 1, 1]", ""));
        ContractException e = assertThrows(ContractException.class, c::portraitClass);
        assertTrue(e.getMessage(), e.getMessage().contains("no 'person' label"));
    }

    @Test
    public void ignoresKeysItDoesNotKnow() {
        ModelContract c = ModelContract.fromJson(json("[\"bg\", \"person\"]", "label_map", "1", "[1, 1, 1]",
                ", \"future_key\": {\"x\": [1, 2]}"));
        assertEquals(OutputKind.LABEL_MAP, c.outputKind);
    }

    @Test
    public void rejectsContractsThatWouldGiveGarbage() {
        String[][] cases = {
                {json("[\"bg\", \"person\"]", "heatmap", "1", "[1, 1, 1]", ""), "output kind 'heatmap' is unknown"},
                {json("[\"person\"]", "logits", "0", "[1, 1, 1]", ""), "at least two"},
                {json("[\"bg\", \"person\"]", "logits", "1", "[1, 0, 1]", ""), "std must be non-zero"},
                {json("[\"bg\", \"fg\"]", "person_alpha", "null", "[1, 1, 1]", ""), "person_alpha needs a person_class"},
                {json("[\"bg\", \"person\"]", "logits", "2", "[1, 1, 1]", ""), "person_class 2"},
                {json("[\"bg\", \"person\"]", "logits", "1", "[1, 1]", ""), "needs 3 values"},
                {json("[\"bg\", \"person\"]", "logits", "1.5", "[1, 1, 1]", ""), "must be an integer"},
                {json("[\"bg\", 7]", "logits", "1", "[1, 1, 1]", ""), "labels must be strings"},
                {"{\"labels\": [\"bg\", \"person\"], \"input_width\": 4, \"mean\": [0,0,0], \"std\": [1,1,1]}",
                        "has no 'input_height'"},
                {PYTHON_JSON.replace("\"version\": 1", "\"version\": 2"), "update the app"},
                {"[1, 2]", "not a JSON object"},
                {"{\"labels\": ", "not a JSON object"},
                {json("[\"bg\", \"person\"]", "logits", "\"1\"", "[1, 1, 1]", ""), "must be an integer"},
        };
        for (String[] c : cases) {
            ContractException e = assertThrows(c[1], ContractException.class, () -> ModelContract.fromJson(c[0]));
            assertTrue(c[1] + " in: " + e.getMessage(), e.getMessage().contains(c[1]));
        }
    }
}
