package org.edgedeeplab.portrait;

import android.content.res.AssetManager;
import android.util.Log;

import com.google.ai.edge.litert.Accelerator;
import com.google.ai.edge.litert.CompiledModel;
import com.google.ai.edge.litert.LiteRtException;
import com.google.ai.edge.litert.TensorBuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.edgedeeplab.portrait.core.BackendLadder;
import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.edgedeeplab.portrait.core.MaskPipeline;
import org.edgedeeplab.portrait.core.ModelAssets;
import org.edgedeeplab.portrait.core.ModelIo;
import org.edgedeeplab.portrait.core.TensorData;

/**
 * The person model compiled by LiteRT's CompiledModel API on the best accelerator this phone offers,
 * with the model file made for it: the GPU accelerator with the fp16 export (fp16 is the GPU's format),
 * else the CPU accelerator (XNNPACK) with the int8 export. Both files, their shared contract and their
 * tensors are installed by `edge-deeplab export-android` (contract.json, models.json).
 *
 * <p>The GPU is asked for alone, {@code Options(Accelerator.GPU)}: with the CPU listed as well LiteRT
 * would quietly run the fp16 model on the CPU when the GPU accelerator cannot load, and the overlay
 * would claim the GPU. A failure here moves down the ladder instead, and the overlay says why.
 * Create, use and close it on one thread (the analysis thread).
 */
final class LiteRtSegmenter implements MaskPipeline.Model, AutoCloseable {
    private static final String TAG = "LiteRtSegmenter";
    /** Written by `edge-deeplab export-android` (edge_deeplab/deploy/android.py). */
    static final String CONTRACT_ASSET = "contract.json";
    static final String MODELS_ASSET = "models.json";

    final ModelIo io;
    final BackendLadder.Choice<Compiled> choice;

    /** A compiled model and the buffers it was compiled with, made once and reused every frame. */
    static final class Compiled implements AutoCloseable {
        final CompiledModel model;
        final List<TensorBuffer> inputs;
        final List<TensorBuffer> outputs;
        final ModelIo io;

        Compiled(CompiledModel model, ModelIo io) throws LiteRtException {
            this.model = model;
            this.io = io;
            try {
                inputs = model.createInputBuffers();
                outputs = model.createOutputBuffers();
            } catch (LiteRtException | RuntimeException e) {
                model.close();
                throw e;
            }
        }

        @Override
        public void close() {
            for (TensorBuffer buffer : inputs) buffer.close();
            for (TensorBuffer buffer : outputs) buffer.close();
            model.close();
        }
    }

    private LiteRtSegmenter(BackendLadder.Choice<Compiled> choice) {
        this.choice = choice;
        this.io = choice.runtime.io;
    }

    /**
     * Reads the installed assets and compiles the model for the first accelerator, from {@code start}
     * down, that takes it. IOException: the assets are missing. ContractException: the models and the
     * app disagree (the message says how to fix it). IllegalStateException: no accelerator runs it.
     */
    static LiteRtSegmenter open(AssetManager assets, Backend start) throws IOException {
        ModelAssets installed = ModelAssets.parse(text(assets, CONTRACT_ASSET), text(assets, MODELS_ASSET));
        BackendLadder.Choice<Compiled> choice = BackendLadder.choose(start.andBelow(),
                backend -> compile(assets, installed.forBackend(backend), backend));
        for (String skipped : choice.skipped) {
            Log.w(TAG, "skipped " + skipped);
        }
        ModelIo io = choice.runtime.io;
        Log.i(TAG, "running on " + choice.backend.label + ": " + installed.contract + ", input " + io.input
                + ", output " + io.output);
        return new LiteRtSegmenter(choice);
    }

    private static Compiled compile(AssetManager assets, ModelAssets.Entry entry, Backend backend) throws Exception {
        Accelerator accelerator = backend == Backend.GPU ? Accelerator.GPU : Accelerator.CPU;
        CompiledModel model = CompiledModel.create(assets, entry.file, new CompiledModel.Options(accelerator));
        return new Compiled(model, entry.io);
    }

    /** One inference: the input written, the model run, the output read (see TensorData). */
    @Override
    public void run(TensorData input, TensorData output) {
        Compiled compiled = choice.runtime;
        try {
            TensorBuffer in = compiled.inputs.get(0);
            if (input.floats != null) {
                in.writeFloat(input.floats);
            } else {
                in.writeInt8(input.bytes); // uint8 inputs too: the same bits
            }
            compiled.model.run(compiled.inputs, compiled.outputs);
            // LiteRT's read returns a new array each time (its Kotlin API has no read-into); everything
            // else on this path reuses its buffers.
            if (output.floats != null) {
                output.floats = compiled.outputs.get(0).readFloat();
            } else {
                output.bytes = compiled.outputs.get(0).readInt8();
            }
        } catch (LiteRtException e) {
            throw new IllegalStateException("LiteRT failed on " + choice.backend.label + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        choice.runtime.close();
    }

    private static String text(AssetManager assets, String name) throws IOException {
        try (InputStream in = assets.open(name); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            byte[] chunk = new byte[8192];
            for (int n; (n = in.read(chunk)) > 0; ) {
                out.write(chunk, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        }
    }
}
