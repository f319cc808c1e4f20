package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.Test;

/**
 * Java against Python on real TFLite models: the same image packed into the same input bytes, and
 * the same raw output (saved by Python after LiteRT ran the model) turned into the same label map and
 * person alpha as edge_deeplab/deploy/postprocess.py makes of it.
 *
 * <p>The data comes from tests/android/test_parity.py, which passes its folder as the system property
 * {@code edgedeeplab.parity.dir}; without it (e.g. `./gradlew test`) the test is skipped.
 */
public class ParityTest {
    private static final float ALPHA_TOLERANCE = 1e-6f;

    @Test
    public void javaPostProcessingEqualsPythons() throws IOException {
        String dir = System.getProperty("edgedeeplab.parity.dir");
        assumeTrue("run from tests/android/test_parity.py, which makes the data", dir != null);
        Path root = Paths.get(dir);
        Map<?, ?> index = (Map<?, ?>) Json.parse(read(root.resolve("cases.json")));
        List<?> cases = (List<?>) index.get("cases");
        assertTrue("no cases in " + root, !cases.isEmpty());
        List<String> report = new ArrayList<>();
        for (Object entry : cases) {
            report.add(check(root, (Map<?, ?>) entry));
        }
        for (String line : report) {
            System.out.println("parity ok: " + line);
        }
    }

    private static String check(Path root, Map<?, ?> c) throws IOException {
        String name = (String) c.get("name");
        // 1. The contract, read by the app's own reader from the model file, is Python's contract.
        ByteBuffer modelFile = ByteBuffer.wrap(Files.readAllBytes(root.resolve((String) c.get("model"))));
        ModelContract contract = TfliteMetadata.readContract(modelFile);
        ModelContract python = ModelContract.fromJson((String) c.get("contract_json"));
        assertEquals(name, python.labels, contract.labels);
        assertEquals(name, python.inputHeight, contract.inputHeight);
        assertEquals(name, python.inputWidth, contract.inputWidth);
        assertArrayEquals(name, python.mean, contract.mean, 0f);
        assertArrayEquals(name, python.std, contract.std, 0f);
        assertEquals(name, python.outputKind, contract.outputKind);
        assertEquals(name, python.personClass, contract.personClass);

        // 2. The interpreter's tensors, as LiteRT reported them in Python, pass the app's checks.
        TensorSpec input = spec((Map<?, ?>) c.get("input"));
        TensorSpec output = spec((Map<?, ?>) c.get("output"));
        ModelIo io = ModelIo.check(contract, input, output);

        // 3. Input packing: the same bytes LiteRT was given.
        int w = contract.inputWidth;
        int h = contract.inputHeight;
        int[] pixels = rgbToArgb(Files.readAllBytes(root.resolve((String) c.get("rgb"))), w * h);
        ByteBuffer packed = InputPacker.allocate(input);
        InputPacker.pack(pixels, w, h, contract, input, packed);
        byte[] javaBytes = new byte[input.byteSize()];
        packed.get(javaBytes); // native order, as Python saved it (little-endian hosts)
        byte[] pythonBytes = Files.readAllBytes(root.resolve((String) c.get("packed")));
        assertEquals(name + ": packed size", pythonBytes.length, javaBytes.length);
        int packedDiffer = 0;
        for (int i = 0; i < javaBytes.length; i++) {
            if (javaBytes[i] != pythonBytes[i]) packedDiffer++;
        }
        assertEquals(name + ": input bytes that differ from Python's", 0, packedDiffer);

        // 4. Post-processing of the raw output LiteRT produced.
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(root.resolve((String) c.get("raw"))))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(name + ": raw output size", output.byteSize(), raw.capacity());
        int pixelsOut = io.outputHeight * io.outputWidth;
        int[] labels = new int[pixelsOut];
        float[] alpha = new float[pixelsOut];
        OutputDecoder.labelMap(raw, io, labels);
        OutputDecoder.personAlpha(raw, io, alpha);
        ByteBuffer expectedLabels = ByteBuffer.wrap(Files.readAllBytes(root.resolve((String) c.get("labels"))))
                .order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer expectedAlpha = ByteBuffer.wrap(Files.readAllBytes(root.resolve((String) c.get("alpha"))))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(name, pixelsOut * 4, expectedLabels.capacity());
        int labelsDiffer = 0;
        float maxAlphaDiff = 0f;
        int personPixels = 0;
        for (int i = 0; i < pixelsOut; i++) {
            if (labels[i] != expectedLabels.getInt(i * 4)) labelsDiffer++;
            maxAlphaDiff = Math.max(maxAlphaDiff, Math.abs(alpha[i] - expectedAlpha.getFloat(i * 4)));
            if (labels[i] == contract.portraitClass()) personPixels++;
        }
        assertEquals(name + ": label-map pixels that differ from Python's", 0, labelsDiffer);
        assertTrue(name + ": alpha differs from Python's by " + maxAlphaDiff, maxAlphaDiff <= ALPHA_TOLERANCE);

        String line = String.format(Locale.US, "%s: input %d bytes equal, labels %d/%d equal (%d person), "
                + "alpha max diff %.2g", name, javaBytes.length, pixelsOut, pixelsOut, personPixels, maxAlphaDiff);

        // 5. Resizing a camera-sized frame to the model's input, against OpenCV's INTER_LINEAR.
        if (c.containsKey("resize_source")) {
            Map<?, ?> src = (Map<?, ?>) c.get("resize_source");
            int sw = ((Double) src.get("width")).intValue();
            int sh = ((Double) src.get("height")).intValue();
            int[] source = rgbToArgb(Files.readAllBytes(root.resolve((String) src.get("file"))), sw * sh);
            int[] resized = new int[w * h];
            ImageResize.argb(source, sw, sh, resized, w, h);
            int maxDiff = 0;
            int exact = 0;
            for (int i = 0; i < w * h; i++) {
                int d = 0;
                for (int shift = 0; shift <= 16; shift += 8) {
                    d = Math.max(d, Math.abs((resized[i] >> shift & 0xFF) - (pixels[i] >> shift & 0xFF)));
                }
                maxDiff = Math.max(maxDiff, d);
                if (d == 0) exact++;
            }
            // OpenCV interpolates 8-bit images in 11-bit fixed point: one level of rounding apart at most.
            assertTrue(name + ": resize differs from OpenCV by " + maxDiff + " levels", maxDiff <= 1);
            line += String.format(Locale.US, "; resize %dx%d->%dx%d within %d level of OpenCV (%.1f%% exact)",
                    sw, sh, w, h, maxDiff, 100.0 * exact / (w * h));
        }
        return line;
    }

    private static TensorSpec spec(Map<?, ?> t) {
        List<?> dims = (List<?>) t.get("shape");
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = ((Double) dims.get(i)).intValue();
        return new TensorSpec(TensorSpec.Type.fromName((String) t.get("type")), shape,
                ((Double) t.get("scale")).floatValue(), ((Double) t.get("zero_point")).intValue());
    }

    private static int[] rgbToArgb(byte[] rgb, int pixels) {
        assertEquals(pixels * 3, rgb.length);
        int[] out = new int[pixels];
        for (int i = 0; i < pixels; i++) {
            out[i] = 0xFF000000 | (rgb[3 * i] & 0xFF) << 16 | (rgb[3 * i + 1] & 0xFF) << 8 | (rgb[3 * i + 2] & 0xFF);
        }
        return out;
    }

    private static String read(Path path) throws IOException {
        return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
    }
}
