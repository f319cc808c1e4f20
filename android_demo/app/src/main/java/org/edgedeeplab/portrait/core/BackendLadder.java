package org.edgedeeplab.portrait.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Which accelerator runs the model: LiteRT's GPU accelerator with the fp16 model when it compiles the
 * model, else the CPU accelerator (XNNPACK) with the int8 model, which always works. NNAPI is not on
 * the ladder: Android 15 deprecates it and CompiledModel reaches NPUs through its own NPU accelerator.
 *
 * <p>The Android-specific part (compiling the model for an accelerator) is a {@link Factory};
 * the order, the fall-through on failure and the record of why each step was skipped are here, so
 * they run the same on a phone and under test.
 */
public final class BackendLadder {
    public enum Backend {
        GPU("GPU fp16"), CPU("CPU int8");

        public final String label;

        Backend(String label) {
            this.label = label;
        }

        /** This backend and the ones below it: the ladder when the user starts from here. */
        public List<Backend> andBelow() {
            List<Backend> all = Arrays.asList(values());
            return all.subList(ordinal(), all.size());
        }
    }

    /** Builds the runtime (a compiled model) on one backend, or throws why it cannot. */
    public interface Factory<T> {
        T create(Backend backend) throws Exception;
    }

    /** Thrown by a factory when a backend's own check says no (e.g. no OpenCL / OpenGL ES 3.1 GPU). */
    public static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        public Unsupported(String reason) {
            super(reason);
        }
    }

    public static final class Choice<T> {
        public final Backend backend;
        public final T runtime;
        /** One line per backend skipped before this one, e.g. "GPU: not on the compatibility list". */
        public final List<String> skipped;

        Choice(Backend backend, T runtime, List<String> skipped) {
            this.backend = backend;
            this.runtime = runtime;
            this.skipped = Collections.unmodifiableList(skipped);
        }

        /** What the overlay shows: the backend, and why a better one was passed over. */
        public String describe() {
            return skipped.isEmpty() ? backend.label : backend.label + " (" + join(skipped) + ")";
        }
    }

    private BackendLadder() {
    }

    public static <T> Choice<T> choose(List<Backend> order, Factory<T> factory) {
        List<String> skipped = new ArrayList<>();
        for (Backend backend : order) {
            try {
                T runtime = factory.create(backend);
                if (runtime != null) {
                    return new Choice<>(backend, runtime, skipped);
                }
                skipped.add(backend.label + ": unavailable");
            } catch (Unsupported e) {
                skipped.add(backend.label + ": " + e.getMessage());
            } catch (Exception | LinkageError e) {
                // An accelerator that rejects the model or whose native library is missing: try the next.
                skipped.add(backend.label + ": failed (" + firstLine(e) + ")");
            }
        }
        throw new IllegalStateException("no backend could run the model: " + join(skipped));
    }

    /** String.join needs API 26; the app runs from API 24. */
    private static String join(List<String> parts) {
        StringBuilder out = new StringBuilder();
        for (String part : parts) {
            if (out.length() > 0) out.append("; ");
            out.append(part);
        }
        return out.toString();
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
