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
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;
import org.junit.Test;

/**
 * Java against Python on real TFLite models: the same image packed into the same input bytes, and
 * the same raw output (saved by Python after LiteRT ran the model) turned into the same person alpha
 * as edge_deeplab/litert/outputs.py makes of it. Logits models run with the softmax export-android
 * appends (litert/heads.py), as the app receives them.
 *
 * <p>The data comes from tests/android/test_parity.py, which passes its folder as the system property
 * {@code edgedeeplab.parity.dir}; without it (e.g. `./gradlew test`) the test is skipped.
 */
public class ParityTest {
    private static final float ALPHA_TOLERANCE = 1e-6f;

    @Test
    public void javaPostProcessingEqualsPythons() throws IOException, JSONException {
        String dir = System.getProperty("edgedeeplab.parity.dir");
        assumeTrue("run from tests/android/test_parity.py, which makes the data", dir != null);
        Path root = Paths.get(dir);
        JSONArray cases = new JSONObject(read(root.resolve("cases.json"))).getJSONArray("cases");
        assertTrue("no cases in " + root, cases.length() > 0);
        List<String> report = new ArrayList<>();
        for (int i = 0; i < cases.length(); i++) {
            report.add(check(root, cases.getJSONObject(i)));
        }
        for (String line : report) {
            System.out.println("parity ok: " + line);
        }
    }

    private static String check(Path root, JSONObject c) throws IOException, JSONException {
        String name = c.getString("name");
        // 1. The contract, as contract.json holds it, read by the app's own reader.
        ModelContract contract = ModelContract.fromJson(c.getString("contract_json"));

        // 2. The model's tensors, as LiteRT reported them in Python (models.json's form), pass the app's checks.
        TensorSpec input = TensorSpec.fromJson(c.getJSONObject("input"));
        TensorSpec output = TensorSpec.fromJson(c.getJSONObject("output"));
        ModelIo io = ModelIo.check(contract, input, output);

        // 3. Input packing: the same bytes LiteRT was given.
        int w = contract.inputWidth;
        int h = contract.inputHeight;
        int[] pixels = rgbToArgb(Files.readAllBytes(root.resolve(c.getString("rgb"))), w * h);
        ByteBuffer packed = InputPacker.allocate(input);
        InputPacker.pack(pixels, w, h, contract, input, packed);
        byte[] javaBytes = new byte[input.byteSize()];
        packed.get(javaBytes); // native order, as Python saved it (little-endian hosts)
        byte[] pythonBytes = Files.readAllBytes(root.resolve(c.getString("packed")));
        assertEquals(name + ": packed size", pythonBytes.length, javaBytes.length);
        int packedDiffer = 0;
        for (int i = 0; i < javaBytes.length; i++) {
            if (javaBytes[i] != pythonBytes[i]) packedDiffer++;
        }
        assertEquals(name + ": input bytes that differ from Python's", 0, packedDiffer);

        // 4. The raw output LiteRT produced, as TensorBuffer.readFloat() / readInt8() hands it over.
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(root.resolve(c.getString("raw"))))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(name + ": raw output size", output.byteSize(), raw.capacity());
        TensorData data = new TensorData(output);
        if (data.floats != null) {
            raw.asFloatBuffer().get(data.floats);
        } else {
            raw.get(data.bytes);
        }
        int pixelsOut = io.outputHeight * io.outputWidth;
        float[] alpha = new float[pixelsOut];
        OutputDecoder.personAlpha(data, io, alpha);
        ByteBuffer expectedAlpha = ByteBuffer.wrap(Files.readAllBytes(root.resolve(c.getString("alpha"))))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(name, pixelsOut * 4, expectedAlpha.capacity());
        float maxAlphaDiff = 0f;
        int personPixels = 0;
        for (int i = 0; i < pixelsOut; i++) {
            maxAlphaDiff = Math.max(maxAlphaDiff, Math.abs(alpha[i] - expectedAlpha.getFloat(i * 4)));
            if (alpha[i] >= MaskPipeline.PERSON_THRESHOLD) personPixels++;
        }
        assertTrue(name + ": alpha differs from Python's by " + maxAlphaDiff, maxAlphaDiff <= ALPHA_TOLERANCE);

        String line = String.format(Locale.US, "%s: input %d bytes equal, alpha max diff %.2g (%d person pixels)",
                name, javaBytes.length, maxAlphaDiff, personPixels);

        // 5. Resizing a camera-sized frame to the model's input, against OpenCV's INTER_LINEAR.
        if (c.has("resize_source")) {
            JSONObject src = c.getJSONObject("resize_source");
            int sw = src.getInt("width");
            int sh = src.getInt("height");
            int[] source = rgbToArgb(Files.readAllBytes(root.resolve(src.getString("file"))), sw * sh);
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
