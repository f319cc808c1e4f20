package org.edgedeeplab.portrait;

import android.Manifest;
import android.content.pm.PackageManager;
import android.graphics.Bitmap;
import android.graphics.Matrix;
import android.os.Bundle;
import android.os.SystemClock;
import android.util.Log;
import android.view.View;
import android.widget.Button;
import android.widget.ImageView;
import android.widget.TextView;

import androidx.activity.ComponentActivity;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.contract.ActivityResultContracts;
import androidx.camera.core.CameraSelector;
import androidx.camera.core.ImageAnalysis;
import androidx.camera.core.ImageProxy;
import androidx.camera.core.Preview;
import androidx.camera.core.resolutionselector.AspectRatioStrategy;
import androidx.camera.core.resolutionselector.ResolutionSelector;
import androidx.camera.core.resolutionselector.ResolutionStrategy;
import androidx.camera.lifecycle.ProcessCameraProvider;
import androidx.camera.view.PreviewView;
import androidx.core.content.ContextCompat;

import com.google.common.util.concurrent.ListenableFuture;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.edgedeeplab.portrait.core.BackendLadder.Backend;
import org.edgedeeplab.portrait.core.ContractException;
import org.edgedeeplab.portrait.core.FpsMeter;
import org.edgedeeplab.portrait.core.ModelIo;
import org.edgedeeplab.portrait.core.PortraitPipeline;

/**
 * Portrait mode on the camera: CameraX preview underneath, and on top of it each analysed frame with
 * the background blurred or replaced behind the person the model finds.
 *
 * <p>Threads: the UI thread owns the views and the camera binding; one analysis thread owns the
 * interpreter (the GPU delegate must be used on the thread that created it), the pipeline and the
 * frame buffers. They talk through the volatile fields below and {@code runOnUiThread}.
 */
public final class MainActivity extends ComponentActivity {
    private static final String TAG = "Portrait";
    /** Installed by `edge-deeplab export-android MODEL` (edge_deeplab/deploy/android.py MODEL_ASSET). */
    static final String MODEL_ASSET = "model.tflite";
    /** Analysis frames: 640x480 is plenty for a 257 px model and keeps the Java per-pixel work small. */
    private static final android.util.Size ANALYSIS_SIZE = new android.util.Size(640, 480);
    private static final int OUTPUT_BUFFERS = 3;

    private enum Mode { BLUR, REPLACE, MASK, OFF }

    private PreviewView previewView;
    private ImageView portraitView;
    private TextView statsView;
    private Button effectButton;
    private Button backendButton;

    private final ExecutorService analysisExecutor = Executors.newSingleThreadExecutor();
    private ProcessCameraProvider cameraProvider;
    private boolean frontCamera = true;

    // Set on the UI thread, read on the analysis thread.
    private volatile Mode mode = Mode.BLUR;
    private volatile Backend startBackend = Backend.GPU;
    private volatile boolean frontForAnalysis = true;
    private volatile boolean reloadRequested = false;
    private volatile boolean resetRequested = false;
    private volatile boolean destroyed = false;

    // Analysis thread only.
    private LiteRtSegmenter segmenter;
    private PortraitPipeline pipeline;
    private String fatalMessage;
    private final FpsMeter meter = new FpsMeter(30);
    private int[] framePixels = new int[0];
    private int[] portraitPixels = new int[0];
    private final Bitmap[] outputs = new Bitmap[OUTPUT_BUFFERS];
    private int nextOutput = 0;

    private final ActivityResultLauncher<String> cameraPermission =
            registerForActivityResult(new ActivityResultContracts.RequestPermission(), granted -> {
                if (granted) {
                    startCamera();
                } else {
                    statsView.setText(R.string.camera_permission_denied);
                }
            });

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        previewView = findViewById(R.id.preview);
        portraitView = findViewById(R.id.portrait);
        statsView = findViewById(R.id.stats);
        effectButton = findViewById(R.id.effect);
        backendButton = findViewById(R.id.backend);
        Button switchButton = findViewById(R.id.switch_camera);

        // FILL_CENTER crops like the portrait view's centerCrop, so the two line up.
        previewView.setScaleType(PreviewView.ScaleType.FILL_CENTER);
        effectButton.setOnClickListener(v -> cycleMode());
        backendButton.setOnClickListener(v -> cycleBackend());
        switchButton.setOnClickListener(v -> switchCamera());
        showMode();
        showBackend();

        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera();
        } else {
            cameraPermission.launch(Manifest.permission.CAMERA);
        }
    }

    @Override
    protected void onDestroy() {
        super.onDestroy();
        destroyed = true; // a frame still in flight must not open the interpreter again
        analysisExecutor.execute(this::closeSegmenter); // on the thread that created it
        analysisExecutor.shutdown();
    }

    // ---- controls (UI thread) ----

    private void cycleMode() {
        mode = Mode.values()[(mode.ordinal() + 1) % Mode.values().length];
        showMode();
    }

    private void showMode() {
        int[] labels = {R.string.effect_blur, R.string.effect_replace, R.string.effect_mask, R.string.effect_off};
        effectButton.setText(labels[mode.ordinal()]);
        portraitView.setVisibility(mode == Mode.OFF ? View.INVISIBLE : View.VISIBLE);
        if (mode == Mode.OFF) {
            statsView.setText(R.string.effect_is_off);
        }
    }

    /** Start the backend ladder lower down (GPU -> NNAPI -> CPU), e.g. to compare their speed. */
    private void cycleBackend() {
        startBackend = Backend.values()[(startBackend.ordinal() + 1) % Backend.values().length];
        reloadRequested = true;
        showBackend();
    }

    private void showBackend() {
        backendButton.setText(getString(R.string.backend_start, startBackend.name()));
    }

    private void switchCamera() {
        frontCamera = !frontCamera;
        resetRequested = true; // the previous camera's masks say nothing about this view
        bindCamera();
    }

    // ---- camera (UI thread) ----

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
        if (cameraProvider == null) {
            return;
        }
        try {
            CameraSelector selector = frontCamera ? CameraSelector.DEFAULT_FRONT_CAMERA : CameraSelector.DEFAULT_BACK_CAMERA;
            if (!cameraProvider.hasCamera(selector)) { // a device with one camera only
                frontCamera = !frontCamera;
                selector = frontCamera ? CameraSelector.DEFAULT_FRONT_CAMERA : CameraSelector.DEFAULT_BACK_CAMERA;
            }
            // The same 4:3 aspect for preview and analysis, so the portrait frame covers the preview exactly.
            ResolutionSelector fourByThree = new ResolutionSelector.Builder()
                    .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                    .build();
            ResolutionSelector analysisResolution = new ResolutionSelector.Builder()
                    .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                    .setResolutionStrategy(new ResolutionStrategy(ANALYSIS_SIZE,
                            ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER))
                    .build();
            Preview preview = new Preview.Builder().setResolutionSelector(fourByThree).build();
            preview.setSurfaceProvider(previewView.getSurfaceProvider());
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

    // ---- analysis thread ----

    private void analyze(ImageProxy image) {
        try {
            if (destroyed || mode == Mode.OFF || !ensurePipeline()) {
                return;
            }
            if (resetRequested) {
                resetRequested = false;
                pipeline.reset();
                meter.reset();
            }
            Bitmap frame = upright(image, frontForAnalysis);
            int w = frame.getWidth();
            int h = frame.getHeight();
            if (framePixels.length != w * h) {
                framePixels = new int[w * h];
                portraitPixels = new int[w * h];
            }
            frame.getPixels(framePixels, 0, w, 0, 0, w, h);
            pipeline.setEffect(mode == Mode.REPLACE ? PortraitPipeline.Effect.REPLACE
                    : mode == Mode.MASK ? PortraitPipeline.Effect.MASK : PortraitPipeline.Effect.BLUR);
            PortraitPipeline.Timing timing = pipeline.process(framePixels, w, h, portraitPixels);
            Bitmap out = outputBitmap(w, h);
            out.setPixels(portraitPixels, 0, w, 0, 0, w, h);
            meter.frame(SystemClock.elapsedRealtimeNanos(), timing.inferenceMs);
            String stats = meter.overlay(segmenter.choice.describe()) + "\n" + describe(segmenter.io, w, h, timing);
            runOnUiThread(() -> {
                if (mode != Mode.OFF) {
                    portraitView.setImageBitmap(out);
                    statsView.setText(stats);
                }
            });
        } catch (RuntimeException e) {
            Log.e(TAG, "frame failed", e);
            String message = e.getMessage();
            runOnUiThread(() -> statsView.setText(message));
        } finally {
            image.close();
        }
    }

    /** Creates (or re-creates, after a backend change) the interpreter and pipeline. */
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
            segmenter = LiteRtSegmenter.open(getAssets(), MODEL_ASSET, startBackend);
            pipeline = new PortraitPipeline(segmenter.io, segmenter);
            meter.reset();
            return true;
        } catch (IOException e) {
            fatalMessage = getString(R.string.no_model);
        } catch (ContractException | IllegalStateException e) {
            fatalMessage = e.getMessage(); // the model and the app disagree, or no backend runs it
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

    /** The camera frame turned upright, and mirrored for the front camera as the preview shows it. */
    private static Bitmap upright(ImageProxy image, boolean mirror) {
        Bitmap raw = image.toBitmap();
        int rotation = image.getImageInfo().getRotationDegrees();
        if (rotation == 0 && !mirror) {
            return raw;
        }
        Matrix matrix = new Matrix();
        matrix.postRotate(rotation);
        if (mirror) {
            matrix.postScale(-1f, 1f);
        }
        return Bitmap.createBitmap(raw, 0, 0, raw.getWidth(), raw.getHeight(), matrix, false);
    }

    /** A few bitmaps in turn, so the view never shows one while the next frame is written into it. */
    private Bitmap outputBitmap(int w, int h) {
        Bitmap bitmap = outputs[nextOutput];
        if (bitmap == null || bitmap.getWidth() != w || bitmap.getHeight() != h) {
            bitmap = Bitmap.createBitmap(w, h, Bitmap.Config.ARGB_8888);
            outputs[nextOutput] = bitmap;
        }
        nextOutput = (nextOutput + 1) % OUTPUT_BUFFERS;
        return bitmap;
    }

    private static String describe(ModelIo io, int w, int h, PortraitPipeline.Timing timing) {
        return String.format(Locale.US, "model %dx%d %s %s -> %s\nframe %dx%d  total %.1f ms",
                io.contract.inputWidth, io.contract.inputHeight, io.contract.outputKind.jsonName,
                io.input.type.name().toLowerCase(Locale.ROOT), io.output.type.name().toLowerCase(Locale.ROOT),
                w, h, timing.totalMs);
    }
}
