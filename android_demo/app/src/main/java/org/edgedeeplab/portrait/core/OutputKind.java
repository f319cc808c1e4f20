package org.edgedeeplab.portrait.core;

/** What the model's single output tensor means (edge_deeplab/contract.py OUTPUT_KINDS). */
public enum OutputKind {
    /** [1, H, W, C] float class scores before the softmax. */
    LOGITS("logits"),
    /** [1, H, W, C] softmax probabilities. */
    PROBABILITIES("probabilities"),
    /** [1, H, W] (or [1, H, W, 1]) integer class ids. */
    LABEL_MAP("label_map"),
    /** [1, H, W, 1] probability of the person class. */
    PERSON_ALPHA("person_alpha");

    public final String jsonName;

    OutputKind(String jsonName) {
        this.jsonName = jsonName;
    }

    public static OutputKind fromJsonName(String name) {
        for (OutputKind kind : values()) {
            if (kind.jsonName.equals(name)) {
                return kind;
            }
        }
        throw new ContractException("output kind '" + name + "' is unknown: this app reads logits, probabilities, "
                + "label_map or person_alpha; update the app or re-export the model");
    }
}
