package org.edgedeeplab.portrait;

import android.content.res.AssetFileDescriptor;
import android.content.res.AssetManager;
import android.os.Build;
import android.util.Log;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

import org.edgedeeplab.portrait.core.BackendLadder;
import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.edgedeeplab.portrait.core.ContractException;
import org.edgedeeplab.portrait.core.ModelContract;
import org.edgedeeplab.portrait.core.ModelIo;
import org.edgedeeplab.portrait.core.PortraitPipeline;
import org.edgedeeplab.portrait.core.TensorSpec;
import org.edgedeeplab.portrait.core.TfliteMetadata;
import org.tensorflow.lite.Delegate;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.Tensor;
import org.tensorflow.lite.gpu.CompatibilityList;
import org.tensorflow.lite.gpu.GpuDelegate;
import org.tensorflow.lite.gpu.GpuDelegateFactory;
import org.tensorflow.lite.nnapi.NnApiDelegate;

/**
 * The LiteRT interpreter on the best backend this phone offers, and the model's contract.
 *
 * <p>Backends, in order (BackendLadder): the GPU delegate when the device is on LiteRT's GPU
 * compatibility list and the delegate accepts the model; NNAPI (Android 9+, without NNAPI's slow CPU
 * reference path); LiteRT's XNNPACK CPU kernels, which always work. Create, use and close it on one
 * thread: the GPU delegate is bound to the thread that created it.
 */
final class LiteRtSegmenter implements PortraitPipeline.Model, AutoCloseable {
    private static final String TAG = "LiteRtSegmenter";
    private static final int CPU_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    final ModelIo io;
    final BackendLadder.Choice<Session> choice;

    /** An interpreter and the delegate it owns (closed after it). */
    static final class Session implements AutoCloseable {
        final Interpreter interpreter;
        private final Delegate delegate;

        Session(Interpreter interpreter, Delegate delegate) {
            this.interpreter = interpreter;
            this.delegate = delegate;
        }

        @Override
        public void close() {
            interpreter.close();
            closeDelegate(delegate);
        }
    }

    private LiteRtSegmenter(ModelIo io, BackendLadder.Choice<Session> choice) {
        this.io = io;
        this.choice = choice;
    }

    /**
     * Loads {@code asset}, reads its contract, picks a backend starting from {@code start} and checks
     * the contract against the interpreter's tensors. IOException: no such asset. ContractException:
     * the model and the app disagree (the message says how to fix it).
     */
    static LiteRtSegmenter open(AssetManager assets, String asset, Backend start) throws IOException {
        MappedByteBuffer model = map(assets, asset);
        ModelContract contract = TfliteMetadata.readContract(model);
        BackendLadder.Choice<Session> choice = BackendLadder.choose(start.andBelow(), backend -> create(model, backend));
        for (String skipped : choice.skipped) {
            Log.w(TAG, "skipped " + skipped);
        }
        Interpreter interpreter = choice.runtime.interpreter;
        try {
            ModelIo io = ModelIo.check(contract, spec(interpreter.getInputTensor(0)), spec(interpreter.getOutputTensor(0)));
            Log.i(TAG, "running on " + choice.backend.label + ": " + contract + ", input " + io.input
                    + ", output " + io.output);
            return new LiteRtSegmenter(io, choice);
        } catch (ContractException e) {
            choice.runtime.close();
            throw e;
        }
    }

    @Override
    public void run(ByteBuffer input, ByteBuffer output) {
        choice.runtime.interpreter.run(input, output);
    }

    @Override
    public void close() {
        choice.runtime.close();
    }

    private static Session create(ByteBuffer model, Backend backend) throws Exception {
        Interpreter.Options options = new Interpreter.Options();
        switch (backend) {
            case GPU: {
                // The compatibility list is LiteRT's record of GPUs and drivers the delegate is known to
                // run correctly on; off the list the delegate may crash or give wrong results.
                try (CompatibilityList compatibility = new CompatibilityList()) {
                    if (!compatibility.isDelegateSupportedOnThisDevice()) {
                        throw new BackendLadder.Unsupported("this GPU is not on LiteRT's compatibility list");
                    }
                    GpuDelegateFactory.Options gpuOptions = compatibility.getBestOptionsForThisDevice();
                    GpuDelegate delegate = new GpuDelegate(gpuOptions);
                    options.addDelegate(delegate);
                    return new Session(interpreter(model, options, delegate), delegate);
                }
            }
            case NNAPI: {
                if (Build.VERSION.SDK_INT < Build.VERSION_CODES.P) {
                    throw new BackendLadder.Unsupported("needs Android 9 or newer");
                }
                NnApiDelegate.Options nnapiOptions = new NnApiDelegate.Options();
                // NNAPI's own CPU fallback is a slow reference implementation: XNNPACK is the better CPU.
                nnapiOptions.setUseNnapiCpu(false);
                NnApiDelegate delegate = new NnApiDelegate(nnapiOptions);
                options.addDelegate(delegate);
                return new Session(interpreter(model, options, delegate), delegate);
            }
            case CPU:
            default:
                options.setNumThreads(CPU_THREADS);
                options.setUseXNNPACK(true);
                return new Session(new Interpreter(model, options), null);
        }
    }

    private static Interpreter interpreter(ByteBuffer model, Interpreter.Options options, Delegate delegate) {
        try {
            return new Interpreter(model, options);
        } catch (RuntimeException e) {
            closeDelegate(delegate);
            throw e;
        }
    }

    private static void closeDelegate(Delegate delegate) {
        if (delegate instanceof AutoCloseable) {
            try {
                ((AutoCloseable) delegate).close();
            } catch (Exception e) {
                Log.w(TAG, "closing the delegate", e);
            }
        }
    }

    private static TensorSpec spec(Tensor tensor) {
        Tensor.QuantizationParams q = tensor.quantizationParams();
        return new TensorSpec(TensorSpec.Type.fromName(tensor.dataType().name()), tensor.shape(), q.getScale(),
                q.getZeroPoint());
    }

    /** The model straight from the APK, without a copy (it is stored uncompressed: build.gradle.kts). */
    private static MappedByteBuffer map(AssetManager assets, String asset) throws IOException {
        try (AssetFileDescriptor fd = assets.openFd(asset);
             FileInputStream in = new FileInputStream(fd.getFileDescriptor());
             FileChannel channel = in.getChannel()) {
            return channel.map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(), fd.getDeclaredLength());
        }
    }
}
