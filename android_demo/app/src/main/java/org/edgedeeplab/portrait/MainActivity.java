package org.edgedeeplab.portrait;

import android.Manifest;
import android.content.pm.PackageManager;
import android.graphics.SurfaceTexture;
import android.opengl.GLSurfaceView;
import android.os.Bundle;
import android.os.SystemClock;
import android.util.Log;
import android.view.Surface;
import android.widget.Button;
import android.widget.TextView;

import androidx.activity.ComponentActivity;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.contract.ActivityResultContracts;
import androidx.camera.core.CameraSelector;
import androidx.camera.core.ImageAnalysis;
import androidx.camera.core.ImageProxy;
import androidx.camera.core.Preview;
import androidx.camera.core.SurfaceRequest;
import androidx.camera.core.resolutionselector.AspectRatioStrategy;
import androidx.camera.core.resolutionselector.ResolutionSelector;
import androidx.camera.core.resolutionselector.ResolutionStrategy;
import androidx.camera.lifecycle.ProcessCameraProvider;
import androidx.core.content.ContextCompat;

import com.google.common.util.concurrent.ListenableFuture;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.edgedeeplab.portrait.core.ContractException;
import org.edgedeeplab.portrait.core.FpsMeter;
import org.edgedeeplab.portrait.core.MaskPipeline;
import org.edgedeeplab.portrait.core.ModelIo;

/**
 * Portrait mode on the camera. The preview is drawn by {@link PortraitRenderer} on the GPU at the
 * camera's rate (the camera texture, the latest mask as a texture, blur and blend in shaders); the
 * analysis frames go through {@link MaskPipeline} (the model on LiteRT's GPU or CPU accelerator, then
 * the person alpha, optionally smoothed over time and cut to the main subject) on one analysis thread.
 *
 * <p>Threads: the UI thread owns the views and the camera binding; the GL thread owns the renderer's GL
 * objects; the analysis thread owns the compiled model, the pipeline and its buffers. They talk through
 * the volatile fields below, the renderer's setters and {@code runOnUiThread}.
 */
public final class MainActivity extends ComponentActivity implements PortraitRenderer.Listener {
    private static final String TAG = "Portrait";
    /** Analysis frames: 640x480 is plenty for a 321 px model and keeps the sampling cheap. */
    private static final android.util.Size ANALYSIS_SIZE = new android.util.Size(640, 480);
    /** The overlay's text is rebuilt every this many frames: a string a frame would be garbage a frame. */
    private static final int STATS_EVERY = 15;

    private GLSurfaceView glView;
    private PortraitRenderer renderer;
    private TextView statsView;
    private Button effectButton;
    private Button backendButton;
    private Button smoothButton;
    private Button subjectButton;

    private final ExecutorService analysisExecutor = Executors.newSingleThreadExecutor();
    private ProcessCameraProvider cameraProvider;
    private SurfaceTexture cameraTexture;
    private boolean frontCamera = true;
    private boolean cameraPermitted = false;

    // Set on the UI thread, read on the analysis thread.
    private volatile PortraitRenderer.Mode mode = PortraitRenderer.Mode.BLUR;
    private volatile Backend startBackend = Backend.GPU;
    private volatile boolean smoothing = true;
    private volatile boolean mainSubject = false;
    private volatile boolean frontForAnalysis = true;
    private volatile boolean reloadRequested = false;
    private volatile boolean resetRequested = false;
    private volatile boolean destroyed = false;

    // Analysis thread only.
    private LiteRtSegmenter segmenter;
    private MaskPipeline pipeline;
    private String fatalMessage;
    private final FpsMeter meter = new FpsMeter(30);
    private int framesSinceStats = 0;

    private final ActivityResultLauncher<String> cameraPermission =
            registerForActivityResult(new ActivityResultContracts.RequestPermission(), granted -> {
                if (granted) {
                    cameraPermitted = true;
                    startCamera();
                } else {
                    statsView.setText(R.string.camera_permission_denied);
                }
            });

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        glView = findViewById(R.id.preview);
        statsView = findViewById(R.id.stats);
        effectButton = findViewById(R.id.effect);
        backendButton = findViewById(R.id.backend);
        smoothButton = findViewById(R.id.smooth);
        subjectButton = findViewById(R.id.main_subject);
        Button switchButton = findViewById(R.id.switch_camera);

        renderer = new PortraitRenderer(getAssets(), glView, this);
        glView.setEGLContextClientVersion(2);
        glView.setRenderer(renderer);
        glView.setRenderMode(GLSurfaceView.RENDERMODE_WHEN_DIRTY); // drawn when the camera or the mask has news

        effectButton.setOnClickListener(v -> cycleMode());
        backendButton.setOnClickListener(v -> cycleBackend());
        smoothButton.setOnClickListener(v -> {
            smoothing = !smoothing;
            showToggles();
        });
        subjectButton.setOnClickListener(v -> {
            mainSubject = !mainSubject;
            showToggles();
        });
        switchButton.setOnClickListener(v -> switchCamera());
        showMode();
        showBackend();
        showToggles();

        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            cameraPermitted = true;
            startCamera();
        } else {
            cameraPermission.launch(Manifest.permission.CAMERA);
        }
    }

    @Override
    protected void onResume() {
        super.onResume();
        glView.onResume();
    }

    @Override
    protected void onPause() {
        glView.onPause();
        super.onPause();
    }

    @Override
    protected void onDestroy() {
        super.onDestroy();
        destroyed = true; // a frame still in flight must not compile the model again
        analysisExecutor.execute(this::closeSegmenter); // on the thread that created it
        analysisExecutor.shutdown();
        renderer.release();
    }

    // ---- controls (UI thread) ----

    private void cycleMode() {
        PortraitRenderer.Mode[] modes = PortraitRenderer.Mode.values();
        mode = modes[(mode.ordinal() + 1) % modes.length];
        renderer.setMode(mode);
        showMode();
    }

    private void showMode() {
        int[] labels = {R.string.effect_blur, R.string.effect_replace, R.string.effect_mask, R.string.effect_off};
        effectButton.setText(labels[mode.ordinal()]);
        if (mode == PortraitRenderer.Mode.OFF) {
            statsView.setText(R.string.effect_is_off);
        }
    }

    /** Start from the CPU instead of the GPU, e.g. to compare their speed on this phone. */
    private void cycleBackend() {
        startBackend = Backend.values()[(startBackend.ordinal() + 1) % Backend.values().length];
        reloadRequested = true;
        showBackend();
    }

    private void showBackend() {
        backendButton.setText(getString(R.string.backend_start, startBackend.label));
    }

    private void showToggles() {
        smoothButton.setText(smoothing ? R.string.smoothing_on : R.string.smoothing_off);
        subjectButton.setText(mainSubject ? R.string.main_subject_on : R.string.main_subject_off);
    }

    private void switchCamera() {
        frontCamera = !frontCamera;
        resetRequested = true; // the previous camera's masks say nothing about this view
        bindCamera();
    }

    // ---- camera (UI thread; the texture arrives from the GL thread) ----

    @Override
    public void onCameraTextureReady(SurfaceTexture texture) {
        runOnUiThread(() -> {
            cameraTexture = texture;
            bindCamera(); // a new GL context (e.g. after a pause) means a new texture: rebind
        });
    }

    private void startCamera() {
        ListenableFuture<ProcessCameraProvider> future = ProcessCameraProvider.getInstance(this);
        future.addListener(() -> {
            try {
                cameraProvider = future.get();
                bindCamera();
            } catch (Exception e) {
                statsView.setText(getString(R.string.camera_failed, e.getMessage()));
            }
        }, ContextCompat.getMainExecutor(this));
    }

    private void bindCamera() {
        if (cameraProvider == null || cameraTexture == null || !cameraPermitted) {
            return; // the provider, the GL texture and the permission arrive in any order
        }
        try {
            CameraSelector selector =
                    frontCamera ? CameraSelector.DEFAULT_FRONT_CAMERA : CameraSelector.DEFAULT_BACK_CAMERA;
            if (!cameraProvider.hasCamera(selector)) { // a device with one camera only
                frontCamera = !frontCamera;
                selector = frontCamera ? CameraSelector.DEFAULT_FRONT_CAMERA : CameraSelector.DEFAULT_BACK_CAMERA;
            }
            // The same 4:3 aspect for preview and analysis, so the mask covers the preview exactly.
            ResolutionSelector fourByThree = new ResolutionSelector.Builder()
                    .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                    .build();
            ResolutionSelector analysisResolution = new ResolutionSelector.Builder()
                    .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                    .setResolutionStrategy(new ResolutionStrategy(ANALYSIS_SIZE,
                            ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER))
                    .build();
            Preview preview = new Preview.Builder().setResolutionSelector(fourByThree).build();
            Executor main = ContextCompat.getMainExecutor(this);
            boolean mirror = frontCamera;
            SurfaceTexture texture = cameraTexture;
            preview.setSurfaceProvider(main, request -> provideSurface(request, texture, mirror, main));
            ImageAnalysis analysis = new ImageAnalysis.Builder()
                    .setResolutionSelector(analysisResolution)
                    .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST) // drop frames, never queue
                    .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                    .build();
            frontForAnalysis = frontCamera;
            analysis.setAnalyzer(analysisExecutor, this::analyze);
            cameraProvider.unbindAll();
            cameraProvider.bindToLifecycle(this, selector, preview, analysis);
        } catch (Exception e) {
            Log.e(TAG, "binding the camera", e);
            statsView.setText(getString(R.string.camera_failed, e.getMessage()));
        }
    }

    /** CameraX writes the preview into the renderer's SurfaceTexture, at the size it chose. */
    private void provideSurface(SurfaceRequest request, SurfaceTexture texture, boolean mirror, Executor main) {
        texture.setDefaultBufferSize(request.getResolution().getWidth(), request.getResolution().getHeight());
        Surface surface = new Surface(texture);
        request.setTransformationInfoListener(main,
                info -> renderer.setCameraOrientation(info.getRotationDegrees(), mirror));
        request.provideSurface(surface, main, result -> surface.release());
    }

    // ---- analysis thread ----

    private void analyze(ImageProxy image) {
        try {
            if (destroyed || mode == PortraitRenderer.Mode.OFF || !ensurePipeline()) {
                return;
            }
            if (resetRequested) {
                resetRequested = false;
                pipeline.reset();
                meter.reset();
            }
            pipeline.setSmoothing(smoothing);
            pipeline.setMainSubject(mainSubject);
            ImageProxy.PlaneProxy plane = image.getPlanes()[0];
            MaskPipeline.Timing timing = pipeline.process(plane.getBuffer(), image.getWidth(), image.getHeight(),
                    plane.getRowStride(), image.getImageInfo().getRotationDegrees(), frontForAnalysis);
            renderer.publishMask(pipeline.mask(), pipeline.maskWidth(), pipeline.maskHeight());
            meter.frame(SystemClock.elapsedRealtimeNanos(), timing.inferenceMs);
            if (++framesSinceStats >= STATS_EVERY) {
                framesSinceStats = 0;
                String stats = meter.overlay(segmenter.choice.describe()) + "\n" + describe(segmenter.io, timing);
                runOnUiThread(() -> {
                    if (mode != PortraitRenderer.Mode.OFF) {
                        statsView.setText(stats);
                    }
                });
            }
        } catch (RuntimeException e) {
            Log.e(TAG, "frame failed", e);
            String message = e.getMessage();
            runOnUiThread(() -> statsView.setText(message));
        } finally {
            image.close();
        }
    }

    /** Compiles (or recompiles, after a backend change) the model and makes the pipeline. */
    private boolean ensurePipeline() {
        if (reloadRequested) {
            reloadRequested = false;
            closeSegmenter();
            fatalMessage = null;
        }
        if (pipeline != null) {
            return true;
        }
        if (fatalMessage != null) {
            return false;
        }
        try {
            segmenter = LiteRtSegmenter.open(getAssets(), startBackend);
            pipeline = new MaskPipeline(segmenter.io, segmenter);
            meter.reset();
            return true;
        } catch (IOException e) {
            fatalMessage = getString(R.string.no_model);
        } catch (ContractException | IllegalStateException e) {
            fatalMessage = e.getMessage(); // the models and the app disagree, or no accelerator runs them
        }
        closeSegmenter();
        Log.e(TAG, fatalMessage);
        String message = fatalMessage;
        runOnUiThread(() -> statsView.setText(message));
        return false;
    }

    private void closeSegmenter() {
        if (segmenter != null) {
            segmenter.close();
        }
        segmenter = null;
        pipeline = null;
    }

    private static String describe(ModelIo io, MaskPipeline.Timing timing) {
        return String.format(Locale.US, "model %dx%d %s %s\nCPU: sample %.1f ms, mask %.1f ms",
                io.contract.inputWidth, io.contract.inputHeight, io.contract.outputKind.jsonName,
                io.input.type.name().toLowerCase(Locale.ROOT), timing.sampleMs, timing.maskMs);
    }
}
