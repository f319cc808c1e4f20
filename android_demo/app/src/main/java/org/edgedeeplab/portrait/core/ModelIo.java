package org.edgedeeplab.portrait.core;

import java.util.Arrays;

/**
 * The contract checked against the model's real input and output tensors (models.json).
 *
 * <p>A contract that does not describe its tensors means silent garbage (a 21-class output read as a
 * person alpha, a 256 px input fed 257 px), so the app stops at start-up with a message instead. The
 * same checks as edge_deeplab/evaluate/runners.py and edge-deeplab export-android, plus batch 1 and the
 * kinds this app reads: class probabilities or a person alpha, never logits (no softmax runs here).
 */
public final class ModelIo {
    public final ModelContract contract;
    public final TensorSpec input;
    public final TensorSpec output;
    /** Output grid: the model may predict at a lower resolution than its input. */
    public final int outputHeight;
    public final int outputWidth;
    /** Class scores per pixel (1 for a label map or a person alpha). */
    public final int outputChannels;

    private ModelIo(ModelContract contract, TensorSpec input, TensorSpec output, int h, int w, int c) {
        this.contract = contract;
        this.input = input;
        this.output = output;
        this.outputHeight = h;
        this.outputWidth = w;
        this.outputChannels = c;
    }

    public static ModelIo check(ModelContract contract, TensorSpec input, TensorSpec output) {
        int[] in = input.shape;
        if (in.length != 4 || in[0] != 1 || in[3] != 3) {
            throw new ContractException("the model's input " + Arrays.toString(in) + " is not one RGB image "
                    + "[1, h, w, 3]: re-export it with batch 1");
        }
        if (in[1] != contract.inputHeight || in[2] != contract.inputWidth) {
            throw new ContractException("the model's input is " + in[1] + "x" + in[2] + " but its contract says "
                    + contract.inputHeight + "x" + contract.inputWidth + ": re-export the model");
        }
        if (input.type != TensorSpec.Type.FLOAT32 && input.type != TensorSpec.Type.UINT8
                && input.type != TensorSpec.Type.INT8) {
            throw new ContractException("the model's input type " + input.type + " is not float32, uint8 or int8: "
                    + "re-export the model");
        }
        int[] out = output.shape;
        if (out.length < 3 || out[0] != 1) {
            throw new ContractException("the model's output " + Arrays.toString(out) + " is not one image "
                    + "[1, h, w(, c)]: re-export it with batch 1");
        }
        int height = out[1];
        int width = out[2];
        int channels = out.length == 4 ? out[3] : 1;
        if (out.length > 4) {
            throw new ContractException("the model's output " + Arrays.toString(out) + " has too many axes");
        }
        switch (contract.outputKind) {
            case LOGITS:
                // A softmax per pixel in Java cost more than the whole frame budget: the model does it.
                throw new ContractException("the model outputs logits; install it with `edge-deeplab export-android`, "
                        + "which appends the softmax, or export it with --output-kind probabilities");
            case LABEL_MAP:
                throw new ContractException("the model outputs a label map, whose hard edges a portrait cannot "
                        + "feather: export it with --output-kind probabilities");
            case PROBABILITIES:
                if (out.length != 4 || channels != contract.numClasses()) {
                    throw new ContractException("the model's output " + Arrays.toString(out) + " does not hold "
                            + contract.numClasses() + " class scores as its contract's labels say: re-export the model");
                }
                requireScores(output);
                break;
            case PERSON_ALPHA:
                if (out.length != 4 || channels != 1) {
                    throw new ContractException("the model's output " + Arrays.toString(out) + " is not a person "
                            + "alpha [1, h, w, 1]: fix the contract's output_kind");
                }
                requireScores(output);
                break;
            default:
                throw new IllegalStateException();
        }
        return new ModelIo(contract, input, output, height, width, channels);
    }

    private static void requireScores(TensorSpec output) {
        boolean ok = output.type == TensorSpec.Type.FLOAT32
                || ((output.type == TensorSpec.Type.UINT8 || output.type == TensorSpec.Type.INT8) && output.isQuantized());
        if (!ok) {
            throw new ContractException("the model's output " + output + " is neither float nor quantised "
                    + "int8/uint8 scores: fix the contract's output_kind");
        }
    }
}
