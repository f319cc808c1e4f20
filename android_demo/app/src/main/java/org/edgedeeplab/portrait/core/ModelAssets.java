package org.edgedeeplab.portrait.core;

import java.util.EnumMap;
import java.util.Map;

import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * What `edge-deeplab export-android` installed: the contract (contract.json) and, for each accelerator,
 * its model file and that model's tensors (models.json), each pair checked with {@link ModelIo}.
 * Plain assets read with the org.json parser Android ships: no flatbuffer parsing in the app.
 */
public final class ModelAssets {
    /** One installed model: the asset to compile and its checked tensors. */
    public static final class Entry {
        public final String file;
        public final ModelIo io;

        Entry(String file, ModelIo io) {
            this.file = file;
            this.io = io;
        }
    }

    public final ModelContract contract;
    private final Map<Backend, Entry> entries;

    private ModelAssets(ModelContract contract, Map<Backend, Entry> entries) {
        this.contract = contract;
        this.entries = entries;
    }

    public static ModelAssets parse(String contractJson, String modelsJson) {
        ModelContract contract = ModelContract.fromJson(contractJson);
        JSONObject models;
        try {
            models = new JSONObject(modelsJson);
        } catch (JSONException e) {
            throw new ContractException("models.json is not a JSON object: install the models again with "
                    + "`edge-deeplab export-android`");
        }
        Map<Backend, Entry> entries = new EnumMap<>(Backend.class);
        for (Backend backend : Backend.values()) {
            String key = backend.name().toLowerCase(java.util.Locale.ROOT);
            JSONObject model = models.optJSONObject(key);
            String file = model == null ? null : model.optString("file", null);
            if (file == null || model.optJSONObject("input") == null || model.optJSONObject("output") == null) {
                throw new ContractException("models.json has no " + key + " model with its file, input and output: "
                        + "install the models again with `edge-deeplab export-android`");
            }
            ModelIo io = ModelIo.check(contract, TensorSpec.fromJson(model.optJSONObject("input")),
                    TensorSpec.fromJson(model.optJSONObject("output")));
            entries.put(backend, new Entry(file, io));
        }
        return new ModelAssets(contract, entries);
    }

    public Entry forBackend(Backend backend) {
        return entries.get(backend);
    }
}
