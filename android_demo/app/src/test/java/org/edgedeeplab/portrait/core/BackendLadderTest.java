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
        assertEquals("GPU fp16", c.describe());
    }

    @Test
    public void aGpuThatCannotCompileTheModelFallsBackToTheCpu() {
        BackendLadder.Choice<String> c = BackendLadder.choose(Backend.GPU.andBelow(), b -> {
            tried.add(b);
            if (b == Backend.GPU) throw new IllegalStateException("Failed to compile model on GPU\nmore");
            return "cpu";
        });
        assertEquals(Backend.CPU, c.backend);
        assertEquals(Arrays.asList(Backend.GPU, Backend.CPU), tried);
        assertEquals(Arrays.asList("GPU fp16: failed (Failed to compile model on GPU)"), c.skipped);
        assertEquals("CPU int8 (GPU fp16: failed (Failed to compile model on GPU))", c.describe());
    }

    @Test
    public void aMissingNativeLibraryOrAnUnsupportedGpuIsSkippedToo() {
        BackendLadder.Choice<String> c = BackendLadder.choose(Backend.GPU.andBelow(), b -> {
            if (b == Backend.GPU) throw new UnsatisfiedLinkError("no libLiteRtGpuAccelerator");
            return b.name();
        });
        assertEquals(Arrays.asList("GPU fp16: failed (no libLiteRtGpuAccelerator)"), c.skipped);
        BackendLadder.Choice<String> d = BackendLadder.choose(Backend.GPU.andBelow(), b -> {
            if (b == Backend.GPU) throw new BackendLadder.Unsupported("no OpenGL ES 3.1");
            return b.name();
        });
        assertEquals("CPU int8 (GPU fp16: no OpenGL ES 3.1)", d.describe());
    }

    @Test
    public void startingLowerSkipsTheGpu() {
        assertEquals(Arrays.asList(Backend.CPU), Backend.CPU.andBelow());
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
