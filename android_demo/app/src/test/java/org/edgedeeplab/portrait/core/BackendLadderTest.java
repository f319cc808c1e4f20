package org.edgedeeplab.portrait.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.junit.Test;

public class BackendLadderTest {
    private final List<Backend> tried = new ArrayList<>();

    @Test
    public void theGpuIsTakenWhenItWorks() {
        BackendLadder.Choice<String> c = BackendLadder.choose(Backend.GPU.andBelow(), b -> {
            tried.add(b);
            return "interpreter on " + b;
        });
        assertEquals(Backend.GPU, c.backend);
        assertEquals("interpreter on GPU", c.runtime);
        assertEquals(Arrays.asList(Backend.GPU), tried);
        assertEquals("GPU", c.describe());
    }

    @Test
    public void aFailedCompatibilityCheckFallsBackToNnapi() {
        BackendLadder.Choice<String> c = BackendLadder.choose(Backend.GPU.andBelow(), b -> {
            if (b == Backend.GPU) throw new BackendLadder.Unsupported("not on the GPU compatibility list");
            return b.name();
        });
        assertEquals(Backend.NNAPI, c.backend);
        assertEquals("NNAPI (GPU: not on the GPU compatibility list)", c.describe());
    }

    @Test
    public void delegateErrorsAndMissingLibrariesFallThroughToTheCpu() {
        BackendLadder.Choice<String> c = BackendLadder.choose(Backend.GPU.andBelow(), b -> {
            tried.add(b);
            if (b == Backend.GPU) throw new IllegalArgumentException("Internal error: Failed to apply delegate\nmore");
            if (b == Backend.NNAPI) throw new UnsatisfiedLinkError("no libneuralnetworks");
            return "cpu";
        });
        assertEquals(Backend.CPU, c.backend);
        assertEquals(Arrays.asList(Backend.GPU, Backend.NNAPI, Backend.CPU), tried);
        assertEquals(Arrays.asList("GPU: failed (Internal error: Failed to apply delegate)",
                "NNAPI: failed (no libneuralnetworks)"), c.skipped);
        assertEquals("CPU (XNNPACK)", Backend.CPU.label);
    }

    @Test
    public void startingLowerSkipsTheHigherBackends() {
        assertEquals(Arrays.asList(Backend.NNAPI, Backend.CPU), Backend.NNAPI.andBelow());
        BackendLadder.Choice<String> c = BackendLadder.choose(Backend.CPU.andBelow(), b -> {
            tried.add(b);
            return "cpu";
        });
        assertEquals(Arrays.asList(Backend.CPU), tried);
        assertEquals(Backend.CPU, c.backend);
    }

    @Test
    public void nothingWorkingIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BackendLadder.choose(Backend.GPU.andBelow(), b -> {
                    throw new RuntimeException(b + " broke");
                }));
        assertTrue(e.getMessage(), e.getMessage().contains("GPU broke") && e.getMessage().contains("CPU broke"));
    }
}
