package org.edgedeeplab.portrait.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The numbers the app must agree with the model on, read from the contract.json asset that
 * `edge-deeplab export-android` writes (the contract embedded in both models, edge_deeplab/contract.py),
 * with the org.json parser Android ships.
 *
 * <p>Normalisation is {@code (pixel - mean) / std} per RGB channel with pixels in 0..255. Google's
 * DeepLab models take mean = std = 127.5, MediaPipe's selfie model mean 0 and std 255: a wrong choice
 * gives silent garbage, which is why nothing here has a default the model did not state.
 */
public final class ModelContract {
    /** The newest contract version this app understands. */
    public static final int SUPPORTED_VERSION = 1;

    public final List<String> labels;
    public final int inputHeight;
    public final int inputWidth;
    /** RGB order, 0..255 pixel units. */
    public final float[] mean;
    public final float[] std;
    public final OutputKind outputKind;
    /** The person class the contract names, or -1 when it names none. */
    public final int personClass;
    public final int version;

    public ModelContract(List<String> labels, int inputHeight, int inputWidth, float[] mean, float[] std,
                         OutputKind outputKind, int personClass, int version) {
        if (labels.size() < 2) {
            throw new ContractException("the contract lists " + labels.size() + " label(s); a segmentation "
                    + "model needs at least two (e.g. background, person): re-export the model");
        }
        if (inputHeight <= 0 || inputWidth <= 0) {
            throw new ContractException("the contract's input size " + inputHeight + "x" + inputWidth
                    + " is not positive: re-export the model");
        }
        if (mean.length != 3 || std.length != 3) {
            throw new ContractException("the contract's mean and std need one value per RGB channel: re-export the model");
        }
        for (float s : std) {
            if (s == 0f || Float.isNaN(s)) {
                throw new ContractException("the contract's normalisation std must be non-zero for every channel: "
                        + "re-export the model");
            }
        }
        if (personClass < -1 || personClass >= labels.size()) {
            throw new ContractException("the contract's person_class " + personClass + " is not one of its "
                    + labels.size() + " labels: re-export the model");
        }
        if (outputKind == OutputKind.PERSON_ALPHA && personClass < 0) {
            throw new ContractException("output kind person_alpha needs a person_class in the contract: "
                    + "re-export the model with a label named 'person'");
        }
        if (version > SUPPORTED_VERSION) {
            throw new ContractException("the model's contract is version " + version + " but this app reads up to "
                    + "version " + SUPPORTED_VERSION + ": update the app");
        }
        this.labels = Collections.unmodifiableList(new ArrayList<>(labels));
        this.inputHeight = inputHeight;
        this.inputWidth = inputWidth;
        this.mean = mean.clone();
        this.std = std.clone();
        this.outputKind = outputKind;
        this.personClass = personClass;
        this.version = version;
    }

    /** Parses ModelContract.to_json() of edge_deeplab/contract.py (the contract.json asset). */
    public static ModelContract fromJson(String json) {
        JSONObject map;
        try {
            map = new JSONObject(json);
        } catch (JSONException e) {
            throw new ContractException("the model's contract is not a JSON object (" + e.getMessage()
                    + "): re-export the model");
        }
        List<String> labels = new ArrayList<>();
        JSONArray names = list(map, "labels");
        for (int i = 0; i < names.length(); i++) {
            if (!(names.opt(i) instanceof String)) {
                throw new ContractException("the contract's labels must be strings: re-export the model");
            }
            labels.add(names.optString(i));
        }
        int personClass = map.isNull("person_class") ? -1 : integer(map, "person_class");
        int version = map.has("version") ? integer(map, "version") : 1;
        String kind = map.has("output_kind") ? text(map, "output_kind") : "logits";
        return new ModelContract(labels, integer(map, "input_height"), integer(map, "input_width"),
                rgb(map, "mean"), rgb(map, "std"), OutputKind.fromJsonName(kind), personClass, version);
    }

    public int numClasses() {
        return labels.size();
    }

    /**
     * The class the portrait effect keeps in front: the contract's person_class, else the label named
     * "person" (a VOC or COCO model says so only through its labels).
     */
    public int portraitClass() {
        if (personClass >= 0) {
            return personClass;
        }
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i).toLowerCase(Locale.ROOT).equals("person")) {
                return i;
            }
        }
        throw new ContractException("the model has no 'person' label (labels: " + labels
                + "): portrait mode needs a person class; export a person segmentation model");
    }

    /** The class a pixel gets when a person alpha says "not person": the first other class. */
    public int backgroundClass() {
        return portraitClass() == 0 ? 1 : 0;
    }

    @Override
    public String toString() {
        return String.format(Locale.US, "%dx%d, mean %s, std %s, %s, %d classes, person %d",
                inputWidth, inputHeight, format(mean), format(std), outputKind.jsonName, labels.size(),
                personClass);
    }

    private static String format(float[] values) {
        return String.format(Locale.US, "(%g, %g, %g)", values[0], values[1], values[2]);
    }

    // ---- typed access to the parsed JSON (Android's org.json), each failure naming the key ----

    private static Object required(JSONObject map, String key) {
        if (map.isNull(key)) {
            throw new ContractException("the model's contract has no '" + key + "': re-export the model");
        }
        return map.opt(key);
    }

    private static JSONArray list(JSONObject map, String key) {
        Object value = required(map, key);
        if (!(value instanceof JSONArray)) {
            throw new ContractException("the contract's '" + key + "' must be a list: re-export the model");
        }
        return (JSONArray) value;
    }

    private static String text(JSONObject map, String key) {
        Object value = required(map, key);
        if (!(value instanceof String)) {
            throw new ContractException("the contract's '" + key + "' must be a string: re-export the model");
        }
        return (String) value;
    }

    static int integer(JSONObject map, String key) {
        Object value = required(map, key);
        // org.json gives Integer, Long or Double: 257.0 is an integer, 257.5 and "257" are not.
        if (!(value instanceof Number) || ((Number) value).doubleValue() != Math.rint(((Number) value).doubleValue())
                || Math.abs(((Number) value).doubleValue()) > Integer.MAX_VALUE) {
            throw new ContractException("the contract's '" + key + "' must be an integer: re-export the model");
        }
        return ((Number) value).intValue();
    }

    private static float[] rgb(JSONObject map, String key) {
        JSONArray values = list(map, key);
        if (values.length() != 3) {
            throw new ContractException("the contract's '" + key + "' needs 3 values (R, G, B), not "
                    + values.length() + ": re-export the model");
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            if (!(values.opt(i) instanceof Number)) {
                throw new ContractException("the contract's '" + key + "' must hold numbers: re-export the model");
            }
            out[i] = ((Number) values.opt(i)).floatValue();
        }
        return out;
    }
}
