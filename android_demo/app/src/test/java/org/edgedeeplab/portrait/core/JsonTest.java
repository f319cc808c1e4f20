package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
    @Test
    public void parsesPythonsIndentedDump() {
        // json.dumps(..., indent=2, sort_keys=True) as ModelContract.to_json() writes it.
        String text = "{\n  \"labels\": [\n    \"background\",\n    \"person\"\n  ],\n  \"mean\": [\n    127.5,\n"
                + "    127.5,\n    127.5\n  ],\n  \"person_class\": null,\n  \"version\": 1\n}";
        Map<?, ?> map = (Map<?, ?>) Json.parse(text);
        assertEquals(Arrays.asList("background", "person"), map.get("labels"));
        assertEquals(Arrays.asList(127.5, 127.5, 127.5), map.get("mean"));
        assertTrue(map.containsKey("person_class"));
        assertNull(map.get("person_class"));
        assertEquals(1.0, map.get("version"));
    }

    @Test
    public void parsesNumbersLiteralsAndNesting() {
        List<?> list = (List<?>) Json.parse(" [0, -1.5e2, 2E-1, 10, true, false, null, {}, [], {\"a\": [1]}] ");
        assertEquals(0.0, list.get(0));
        assertEquals(-150.0, list.get(1));
        assertEquals(0.2, list.get(2));
        assertEquals(10.0, list.get(3));
        assertEquals(Boolean.TRUE, list.get(4));
        assertEquals(Boolean.FALSE, list.get(5));
        assertNull(list.get(6));
        assertTrue(((Map<?, ?>) list.get(7)).isEmpty());
        assertTrue(((List<?>) list.get(8)).isEmpty());
        assertEquals(Arrays.asList(1.0), ((Map<?, ?>) list.get(9)).get("a"));
    }

    @Test
    public void decodesEscapes() {
        assertEquals("a\"b\\c/d\n\t\u00e9\u4eba", Json.parse("\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u4eba\""));
        // Python's json.dumps escapes non-ASCII labels by default; they must come back intact.
        assertEquals("personne \u00e9", Json.parse("\"personne \\u00e9\""));
    }

    @Test
    public void rejectsMalformedInput() {
        String[] bad = {"", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "\"open", "[1] 2", "01", "1.", "-", "tru",
                "{1: 2}", "\"bad \\x escape\"", "\"\\u12\"", "[1 2]", "\"tab\there\""};
        for (String text : bad) {
            IllegalArgumentException e = assertThrows(text, IllegalArgumentException.class, () -> Json.parse(text));
            assertTrue(e.getMessage(), e.getMessage().startsWith("JSON: "));
        }
    }
}
