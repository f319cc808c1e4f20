package org.edgedeeplab.portrait.core;

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
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;
import org.junit.Test;

/**
 * Temporal smoothing and main-subject selection in Java against edge_deeplab/segment/masks.py: the
 * same sequences of person alphas through {@link TemporalSmoother} and then {@link MainSubject} must
 * give the same masks, bit for bit (both sides compute in float32, in the same order).
 *
 * <p>The data comes from tests/android/test_mask_parity.py, which passes its folder as the system
 * property {@code edgedeeplab.masks.dir}; without it (e.g. `./gradlew test`) the test is skipped.
 */
public class MaskParityTest {
    @Test
    public void smoothingAndMainSubjectEqualPythons() throws IOException, JSONException {
        String dir = System.getProperty("edgedeeplab.masks.dir");
        assumeTrue("run from tests/android/test_mask_parity.py, which makes the data", dir != null);
        Path root = Paths.get(dir);
        JSONObject index = new JSONObject(new String(Files.readAllBytes(root.resolve("cases.json")), StandardCharsets.UTF_8));
        JSONArray cases = index.getJSONArray("cases");
        assertTrue("no cases in " + root, cases.length() > 0);
        for (int c = 0; c < cases.length(); c++) {
            JSONObject sequence = cases.getJSONObject(c);
            String name = sequence.getString("name");
            int w = sequence.getInt("width");
            int h = sequence.getInt("height");
            float[][] frames = planes(root.resolve(sequence.getString("alpha")), w * h);
            float[][] smoothed = planes(root.resolve(sequence.getString("smoothed")), w * h);
            float[][] main = planes(root.resolve(sequence.getString("main_subject")), w * h);
            assertEquals(name, frames.length, smoothed.length);
            TemporalSmoother smoother = new TemporalSmoother((float) sequence.getDouble("base_gain"),
                    (float) sequence.getDouble("motion_gain"));
            MainSubject subject = new MainSubject();
            int differ = 0;
            int cleared = 0;
            for (int f = 0; f < frames.length; f++) {
                float[] alpha = frames[f].clone();
                smoother.apply(alpha, w * h);
                differ += countDiffering(alpha, smoothed[f]);
                float[] before = alpha.clone();
                subject.apply(alpha, w, h, (float) sequence.getDouble("threshold"));
                differ += countDiffering(alpha, main[f]);
                cleared += countDiffering(alpha, before);
            }
            assertEquals(name + ": mask values that differ from Python's", 0, differ);
            System.out.println("masks ok: " + name + ": " + frames.length + " frames of " + w + "x" + h
                    + " equal bit for bit, " + cleared + " pixels cleared by main-subject selection");
        }
    }

    private static int countDiffering(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) n++;
        }
        return n;
    }

    /** Frames of float32 little-endian planes, one after the other. */
    private static float[][] planes(Path file, int pixels) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(file + " holds whole frames", 0, bytes.capacity() % (pixels * 4));
        float[][] out = new float[bytes.capacity() / (pixels * 4)][pixels];
        for (float[] frame : out) {
            bytes.asFloatBuffer().get(frame);
            bytes.position(bytes.position() + pixels * 4);
        }
        return out;
    }
}
