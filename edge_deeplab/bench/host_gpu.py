"""The host benchmark's GPU row: LiteRT's GPU accelerator, run by edge_deeplab.litert.gpu in a child
process. On a machine without a GPU this is a software Vulkan driver: a correctness path (does every op
run on the GPU, do the outputs agree with the CPU), never a phone's frame rate, and the row says so."""

from __future__ import annotations

from edge_deeplab.bench.stats import latency_stats

GPU_NOTE = (
    "LiteRT GPU accelerator on this computer (software Vulkan where there is no GPU): "
    "a correctness path, not a phone number"
)


def gpu_row(model_path, runs: int) -> dict:
    """Compile for the GPU alone, compare one run with the CPU interpreter and time `runs` runs, or say
    why that is impossible here."""
    from edge_deeplab.litert.gpu import run_on_gpu

    run = run_on_gpu(model_path, runs=runs)
    row = {"backend": "gpu", "variant": "LiteRT GPU accelerator", "mode": "model", "note": GPU_NOTE}
    measured = run.measured
    if measured is None:
        return {**row, "status": "failed", "reason": f"the GPU process died ({run.died}): {run.log.strip()[-300:]}"}
    if measured.get("unreadable"):
        return {**row, "status": "failed", "reason": measured["unreadable"]}
    if run.adapter is None:
        return {
            **row,
            "status": "skipped",
            "reason": f"no GPU adapter on this computer ({run.no_adapter_reason}): "
            f"install a Vulkan driver, e.g. mesa-vulkan-drivers, to "
            f"check GPU compatibility",
        }
    if run.fallbacks or measured.get("fully_accelerated") is False:
        return {
            **row,
            "status": "not-fully-accelerated",
            "reason": "some ops cannot run on the GPU",
            "fallback_ops": sorted(f"{op}: {reason}" for op, reason in run.fallbacks),
        }
    if measured.get("error"):
        return {**row, "status": "failed", "reason": measured["error"]}
    row.update(
        status="ok",
        fully_accelerated=True,
        stats=latency_stats(measured["samples_ms"]).to_dict(),
        max_abs_diff_vs_cpu=measured["max_abs_diff"],
    )
    if "argmax_agreement" in measured:
        row["argmax_agreement_vs_cpu"] = measured["argmax_agreement"]
    return row
