package org.edgedeeplab.portrait.bench;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.edgedeeplab.portrait.core.MaskPipeline;
import org.edgedeeplab.portrait.core.ModelAssets;
import org.edgedeeplab.portrait.core.ModelIo;
import org.edgedeeplab.portrait.core.TensorData;

/**
 * The Android demo's CPU work per camera frame, everything but inference and shaders, on the JVM:
 * MaskPipeline.process on a 640x480 RGBA analysis frame turned upright to 480x640 (rotation 270,
 * mirrored: the front camera in portrait) with the shipped model's contract and tensors (the assets).
 * The model is a stand-in that hands back a fixed probabilities output, so the time it takes is
 * LiteRT's to spend, not ours; it is subtracted. Prints one JSON object (benchmarks/android_frame_cpu.py).
 *
 * Arguments: ASSETS_DIR WARMUP FRAMES
 */
public final class FrameCpuBenchmark {
    private FrameCpuBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String assets = args[0];
        int warmup = Integer.parseInt(args[1]);
        int frames = Integer.parseInt(args[2]);
        ModelAssets installed = ModelAssets.parse(read(assets + "/contract.json"), read(assets + "/models.json"));
        ModelIo io = installed.forBackend(Backend.GPU).io;
        int width = 640;
        int height = 480;
        ByteBuffer frame = cameraFrame(width, height);
        float[] output = personOutput(io);
        MaskPipeline.Model model = (input, out) -> System.arraycopy(output, 0, out.floats, 0, output.length);

        StringBuilder json = new StringBuilder();
        json.append(String.format(Locale.US, "{\"frame\": [%d, %d], \"model_input\": [%d, %d], \"model_output\": "
                        + "[%d, %d, %d], \"warmup\": %d, \"frames\": %d, \"java\": \"%s\", \"variants\": {",
                height, width, io.contract.inputHeight, io.contract.inputWidth, io.outputHeight, io.outputWidth,
                io.outputChannels, warmup, frames, System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.version")));
        boolean[][] toggles = {{true, true}, {true, false}, {false, false}};
        String[] names = {"smooth+main_subject", "smooth", "nosmooth"};
        MaskPipeline[] pipelines = new MaskPipeline[toggles.length];
        for (int v = 0; v < toggles.length; v++) {
            pipelines[v] = new MaskPipeline(io, model);
            pipelines[v].setSmoothing(toggles[v][0]);
            pipelines[v].setMainSubject(toggles[v][1]);
        }
        for (int i = 0; i < warmup; i++) { // until the JIT has compiled every path
            for (MaskPipeline pipeline : pipelines) {
                pipeline.process(frame, width, height, width * 4, 270, true);
            }
        }
        // The variants take turns frame by frame, so a busy spell on a shared machine hits them alike.
        double[][] wall = new double[toggles.length][frames];
        double[][] threadCpu = new double[toggles.length][frames];
        double[][] sample = new double[toggles.length][frames];
        double[][] mask = new double[toggles.length][frames];
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long allocatedBefore = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < frames; i++) {
            for (int v = 0; v < toggles.length; v++) {
                // The thread's own CPU time too: on a shared machine the wall clock also counts others' turns.
                long cpuBefore = threads.getCurrentThreadCpuTime();
                MaskPipeline.Timing t = pipelines[v].process(frame, width, height, width * 4, 270, true);
                threadCpu[v][i] = (threads.getCurrentThreadCpuTime() - cpuBefore) / 1e6;
                wall[v][i] = t.totalMs - t.inferenceMs;
                sample[v][i] = t.sampleMs;
                mask[v][i] = t.maskMs;
            }
        }
        // Measured over all variants together; the timing calls themselves are included.
        double allocatedPerFrame = (double) (threads.getThreadAllocatedBytes(thread) - allocatedBefore)
                / (frames * toggles.length);
        for (int v = 0; v < toggles.length; v++) {
            json.append(v == 0 ? "" : ", ").append('"').append(names[v]).append("\": ")
                    .append(String.format(Locale.US, "{\"cpu_ms\": %s, \"thread_cpu_ms\": %s, \"sample_ms\": %s, "
                            + "\"mask_ms\": %s}", stats(wall[v]), stats(threadCpu[v]), stats(sample[v]), stats(mask[v])));
        }
        json.append(String.format(Locale.US, "}, \"allocated_bytes_per_frame\": %.2f", allocatedPerFrame));
        System.out.println(json.append("}"));
    }

    private static String stats(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return String.format(Locale.US, "{\"median\": %.4f, \"p90\": %.4f, \"min\": %.4f, \"max\": %.4f}",
                sorted[sorted.length / 2], sorted[(int) (sorted.length * 0.9)], sorted[0], sorted[sorted.length - 1]);
    }

    /** A textured frame (gradients and noise), so no branch or cache sees a constant. */
    private static ByteBuffer cameraFrame(int w, int h) {
        ByteBuffer frame = ByteBuffer.allocateDirect(w * h * 4);
        Random random = new Random(1);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 4;
                frame.put(o, (byte) (x * 255 / w + random.nextInt(16)));
                frame.put(o + 1, (byte) (y * 255 / h + random.nextInt(16)));
                frame.put(o + 2, (byte) random.nextInt(256));
                frame.put(o + 3, (byte) 255);
            }
        }
        return frame;
    }

    /**
     * A probabilities output with a person (a large soft ellipse), a passer-by (a small one) and edge
     * noise: main-subject selection has two regions to choose from, as in a real scene.
     */
    private static float[] personOutput(ModelIo io) {
        int w = io.outputWidth;
        int h = io.outputHeight;
        int c = io.outputChannels;
        int person = io.contract.portraitClass();
        float[] out = new float[new TensorData(io.output).floats.length];
        Random random = new Random(2);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double subject = Math.hypot((y - 0.6 * h) / (0.35 * h), (x - 0.45 * w) / (0.25 * w));
                double passer = Math.hypot((y - 0.3 * h) / (0.1 * h), (x - 0.85 * w) / (0.06 * w));
                double p = Math.max(Math.min(1, Math.max(0, (1.2 - subject) / 0.4)),
                        Math.min(1, Math.max(0, (1.2 - passer) / 0.4)));
                p = Math.min(1, Math.max(0, p + random.nextGaussian() * 0.05));
                for (int k = 0; k < c; k++) {
                    out[(y * w + x) * c + k] = (float) (k == person ? p : (1 - p) / (c - 1));
                }
            }
        }
        return out;
    }

    private static String read(String path) throws java.io.IOException {
        return new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
    }
}
