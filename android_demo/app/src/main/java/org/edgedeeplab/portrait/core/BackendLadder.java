package org.edgedeeplab.portrait.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Which hardware runs the model: the GPU delegate if the device passes its compatibility check and
 * the delegate accepts the model, else NNAPI, else LiteRT's XNNPACK CPU path, which always works.
 *
 * <p>The Android-specific part (creating an interpreter with a given delegate) is a {@link Factory};
 * the order, the fall-through on failure and the record of why each step was skipped are here, so
 * they run the same on a phone and under test.
 */
public final class BackendLadder {
    public enum Backend {
        GPU("GPU"), NNAPI("NNAPI"), CPU("CPU (XNNPACK)");

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

    /** Builds the runtime (an interpreter) on one backend, or throws why it cannot. */
    public interface Factory<T> {
        T create(Backend backend) throws Exception;
    }

    /** Thrown by a factory when a backend's own check says no (e.g. not on the GPU compatibility list). */
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
                // A delegate that rejects the model or whose native library is missing: try the next.
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
