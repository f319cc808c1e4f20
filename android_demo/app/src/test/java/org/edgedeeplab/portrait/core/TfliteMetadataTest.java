package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.Test;

public class TfliteMetadataTest {
    private static final String CONTRACT = ModelContractTest.PYTHON_JSON;

    @Test
    public void findsTheContractAmongOtherMetadata() {
        byte[] model = new TinyTflite().metadata("min_runtime_version", "1.5.0\0\0")
                .metadata(TfliteMetadata.CONTRACT_NAME, CONTRACT).metadata("TFLITE_METADATA", "x").build();
        ModelContract c = TfliteMetadata.readContract(ByteBuffer.wrap(model));
        assertEquals(Arrays.asList("background", "person"), c.labels);
        assertEquals(257, c.inputWidth);
        assertArrayEquals("1.5.0\0\0".getBytes(StandardCharsets.UTF_8),
                TfliteMetadata.find(ByteBuffer.wrap(model), "min_runtime_version"));
    }

    @Test
    public void readsBuffersStoredAfterTheFlatbuffer() {
        byte[] model = new TinyTflite().metadata("other", "abc").metadata(TfliteMetadata.CONTRACT_NAME, CONTRACT)
                .external().build();
        assertEquals(CONTRACT, new String(TfliteMetadata.find(ByteBuffer.wrap(model), TfliteMetadata.CONTRACT_NAME),
                StandardCharsets.UTF_8));
        assertEquals("abc", new String(TfliteMetadata.find(ByteBuffer.wrap(model), "other"), StandardCharsets.UTF_8));
    }

    @Test
    public void ignoresTheBuffersPositionAndOrder() {
        ByteBuffer model = ByteBuffer.wrap(new TinyTflite().metadata(TfliteMetadata.CONTRACT_NAME, CONTRACT).build());
        model.position(17); // a caller that already read part of it
        assertEquals(257, TfliteMetadata.readContract(model).inputHeight);
        assertEquals(17, model.position());
    }

    @Test
    public void aModelWithoutTheContractSaysHowToFixIt() {
        byte[] model = new TinyTflite().metadata("min_runtime_version", "2.3").build();
        assertNull(TfliteMetadata.find(ByteBuffer.wrap(model), TfliteMetadata.CONTRACT_NAME));
        ContractException e = assertThrows(ContractException.class,
                () -> TfliteMetadata.readContract(ByteBuffer.wrap(model)));
        assertTrue(e.getMessage(), e.getMessage().contains("edge-deeplab export-android"));
        assertNull(TfliteMetadata.find(ByteBuffer.wrap(new TinyTflite().build()), TfliteMetadata.CONTRACT_NAME));
    }

    @Test
    public void rejectsFilesThatAreNotTflite() {
        byte[] png = new TinyTflite().identifier("\u0089PNG").metadata(TfliteMetadata.CONTRACT_NAME, CONTRACT).build();
        ContractException e = assertThrows(ContractException.class,
                () -> TfliteMetadata.readContract(ByteBuffer.wrap(png)));
        assertTrue(e.getMessage(), e.getMessage().contains("not a TFLite flatbuffer"));
        assertThrows(ContractException.class, () -> TfliteMetadata.readContract(ByteBuffer.wrap(new byte[3])));
    }

    @Test
    public void aDamagedFileFailsWithAMessageNotACrash() {
        byte[] model = new TinyTflite().metadata(TfliteMetadata.CONTRACT_NAME, CONTRACT).build();
        for (int cut : new int[] {8, 20, 40, model.length / 2, model.length - 10}) {
            byte[] truncated = Arrays.copyOf(model, cut);
            try {
                TfliteMetadata.find(ByteBuffer.wrap(truncated), TfliteMetadata.CONTRACT_NAME);
            } catch (ContractException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("TFLite"));
            }
        }
        byte[] badRoot = model.clone();
        badRoot[0] = (byte) 0xF0;
        badRoot[3] = (byte) 0x7F; // root offset far past the end
        assertThrows(ContractException.class, () -> TfliteMetadata.find(ByteBuffer.wrap(badRoot), "x"));
    }
}
