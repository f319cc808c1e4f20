package org.edgedeeplab.portrait.core;

import java.util.Arrays;

/** Contracts for tests. */
final class Contracts {
    private Contracts() {
    }

    static ModelContract of(int h, int w, float mean, float std, OutputKind kind, int person, String... labels) {
        return new ModelContract(Arrays.asList(labels), h, w, new float[] {mean, mean, mean},
                new float[] {std, std, std}, kind, person, 1);
    }

    static ModelContract deeplab(int h, int w, OutputKind kind) {
        return of(h, w, 127.5f, 127.5f, kind, 1, "background", "person", "cat");
    }
}
