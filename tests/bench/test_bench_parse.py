"""The benchmark_model parser on genuine captures (tests/fixtures/benchmark_model/README.md names each source)."""

import pytest

from bench_captures import CAPTURES, capture_names, load_capture
from edge_deeplab.bench import device
from edge_deeplab.bench.parse import FULL, NONE, PARTIAL, parse_benchmark_output, strip_prefix


def parsed(name):
    return parse_benchmark_output(load_capture(name))


def test_every_capture_has_a_cited_source():
    assert len(capture_names()) >= 12
    for name in capture_names():
        header = (CAPTURES / name).read_text().splitlines()[0]
        assert header.startswith("# source: "), name
        assert load_capture(name).strip(), name


def test_gpu_full_delegation_with_info_prefix_and_percentiles():
    out = parsed("android_gpu_full_delegation.txt")
    assert out.parameters["Use gpu"] == "1" and out.parameters["Num threads"] == "2"
    assert out.warmup.count == 2 and out.warmup.avg_us == 319036
    assert out.measured.count == 50
    assert (out.measured.min_us, out.measured.max_us, out.measured.avg_us) == (305938, 333030, 309350)
    assert (out.measured.p5_us, out.measured.median_us, out.measured.p95_us) == (306372, 307968, 315711)
    assert (out.init_us, out.first_inference_us, out.warmup_avg_us, out.inference_avg_us) == (
        5664363,
        328140,
        319036,
        309350,
    )
    gpu = out.delegate("GPU")
    assert (gpu.nodes_delegated, gpu.nodes_total, gpu.partitions, gpu.status) == (49, 49, 1, FULL)
    assert gpu.fully_delegated and gpu.fallback_ops == []
    assert out.delegate("NNAPI").status == NONE and not out.delegate("NNAPI").fully_delegated
    assert (out.memory_init_mb, out.memory_overall_mb) == (375.48, 375.48)
    assert out.latency_basis == "median" and out.latency_us == 307968
    assert out.fps == pytest.approx(1e6 / 307968)
    assert out.errors == []


def test_adb_run_with_prefix_on_some_lines_only():
    out = parsed("tf43541_adb_gpu_full.txt")
    assert out.parameters["Use gpu"] == "1" and out.parameters["Min warmup runs"] == "1"
    assert out.delegate("GPU").status == FULL and out.delegate("GPU").fully_delegated
    assert out.warmup.count == 4 and out.measured.count == 50 and out.measured.std_us == 1948
    assert out.inference_avg_us == 119375 and out.init_us == 870557
    assert out.latency_basis == "mean" and out.fps == pytest.approx(1e6 / 119375)


def test_output_cut_before_the_measured_runs_has_no_latency():
    out = parsed("tf58379_gpu_cut_before_measured_runs.txt")
    assert out.warmup.count == 20 and out.warmup.avg_us == 28473
    assert out.measured is None and out.latency_us is None and out.fps is None
    assert out.delegate("GPU").status == FULL
    assert out.init_us == pytest.approx(10115.4 * 1000)


def test_single_run_warmup_line_and_exponent_average():
    out = parsed("tf41769_cpu_count1_exponent.txt")
    assert out.warmup.count == 1 and out.warmup.curr_us == 1289876 and out.warmup.min_us is None
    assert out.first_inference_us == 1289876 and out.warmup_avg_us == 1289876
    assert out.measured.count == 50 and out.measured.avg_us == pytest.approx(1.01013e6)
    assert out.inference_avg_us == pytest.approx(1010130.0)
    assert out.parameters["Num threads"] == "6"


def test_exponents_in_summary_and_profiling_tables_are_not_runs():
    out = parsed("meta_tflite_riscv_profiling.txt")
    # "Timings (microseconds): count=1 curr=1356" belongs to the profiler, not to the benchmark phases.
    assert out.warmup.count == 1 and out.warmup.curr_us == 3512391
    assert out.measured.count == 50 and out.measured.avg_us == pytest.approx(2950340)
    assert out.inference_avg_us == pytest.approx(2950340) and out.warmup_avg_us == pytest.approx(3512390)
    assert out.memory_overall_mb == pytest.approx(46.0859)
    assert out.delegates == {}


def test_older_peak_memory_line():
    out = parsed("tf42507_cpu_peak_memory.txt")
    assert (out.memory_init_mb, out.memory_overall_mb) == (0.0, 12.8672)
    assert out.inference_avg_us == pytest.approx(33209.4) and out.measured.count == 50


def test_old_average_inference_timings_line():
    out = parsed("yuenshome77_old_average_timings.txt")
    assert (out.init_us, out.warmup_avg_us, out.inference_avg_us) == (9933, 76605.9, 66767.6)
    assert out.warmup.count == 7 and out.measured.count == 15
    assert out.fps == pytest.approx(1e6 / 66767.6)


def test_logcat_prefix_and_partial_nnapi_delegation():
    out = parsed("tf56301_logcat_nnapi_partial.txt")
    nnapi = out.delegate("NNAPI")
    assert nnapi.status == PARTIAL and nnapi.kernels == 44 and not nnapi.fully_delegated
    assert out.warmup.count == 40 and out.measured.count == 75
    assert out.inference_avg_us == pytest.approx(12167.6) and out.init_us == 126059


def test_logcat_gpu_run_names_the_op_that_fell_back():
    out = parsed("tf56301_logcat_gpu_unsupported_op.txt")
    gpu = out.delegate("GPU")
    assert gpu.unsupported_ops == ["UNPACK: Operation is not supported."]
    assert gpu.fallback_ops == ["UNPACK"] and not gpu.fully_delegated
    assert out.parameters["Use gpu"] == "1" and out.parameters["Use xnnpack"] == "0"
    assert out.errors == []  # the fallback report is not a failure of the run


def test_logcat_single_warmup_run():
    out = parsed("tf59232_logcat_cpu_count1.txt")
    assert out.warmup.count == 1 and out.warmup.curr_us == 1381510 and out.measured is None
    assert out.init_us == pytest.approx(9340)


def test_partial_delegation_block_with_trailing_spaces():
    gpu = parsed("tf57907_gpu_partial_delegation.txt").delegate("GPU")
    assert gpu.fallback_ops == [
        "ARG_MAX",
        "CAST",
        "CONCATENATION",
        "DEQUANTIZE",
        "FLOOR_DIV",
        "GATHER_ND",
        "MUL",
        "PACK",
        "RESHAPE",
        "SUB",
        "UNPACK",
    ]
    assert gpu.unsupported_ops[1] == "CAST: Not supported cast case"
    assert (gpu.ops_on_delegate, gpu.ops_on_cpu) == (97, 200) and not gpu.fully_delegated


def test_failed_gpu_run_keeps_the_error_and_its_continuation_lines():
    out = parsed("tf62753_gpu_failure.txt")
    assert out.errors[0].startswith("Failed to build program executable - Build program failure(97:0)")
    assert out.errors[1:] == [
        "(98:0) : error : conversion between different vector types not allowed",
        "(99:0) : error : conversion between different vector types not allowed",
    ]
    assert out.measured is None and out.latency_us is None
    assert out.parameters["Use gpu"] == "1"


@pytest.mark.parametrize("name", capture_names())
def test_crlf_line_ends_parse_the_same(name):
    """`adb shell` over a pseudo-terminal delivers \\r\\n; the numbers must not change."""
    text = load_capture(name)
    assert parse_benchmark_output(text.replace("\n", "\r\n")) == parse_benchmark_output(text)


def test_prefixes_are_recognised():
    assert strip_prefix("INFO: count=1 curr=5") == ("count=1 curr=5", "INFO")
    assert strip_prefix("05-31 10:38:42.607 22206 22206 E tflite  : UNPACK: x") == ("UNPACK: x", "ERROR")
    assert strip_prefix("I/tflite  ( 1234): Use gpu: [1]") == ("Use gpu: [1]", "INFO")
    assert strip_prefix("count=1 curr=5") == ("count=1 curr=5", None)


@pytest.mark.parametrize(
    "capture, config, exit_code, status",
    [
        ("android_gpu_full_delegation.txt", "gpu-fp16", 0, device.OK),
        ("tf43541_adb_gpu_full.txt", "gpu-fp32", 0, device.OK),
        ("tf56301_logcat_gpu_unsupported_op.txt", "gpu-fp16", 0, device.NOT_FULLY_DELEGATED),
        ("tf57907_gpu_partial_delegation.txt", "gpu-fp16", 0, device.NOT_FULLY_DELEGATED),
        ("tf62753_gpu_failure.txt", "gpu-fp16", 1, device.FAILED),
        ("tf58379_gpu_cut_before_measured_runs.txt", "gpu-fp16", 0, device.NO_MEASUREMENTS),
        ("tf42507_cpu_peak_memory.txt", "gpu-fp16", 0, device.DELEGATION_UNCONFIRMED),
        ("tf42507_cpu_peak_memory.txt", "cpu", 0, device.OK),
        ("tf56301_logcat_nnapi_partial.txt", "nnapi", 0, device.NOT_FULLY_DELEGATED),
        ("yuenshome77_old_average_timings.txt", "cpu", 0, device.OK),
        ("tf59232_logcat_cpu_count1.txt", "cpu", 0, device.NO_MEASUREMENTS),
        ("tf43541_adb_gpu_full.txt", "gpu-fp16", 139, device.FAILED),
    ],
)
def test_run_verdicts(capture, config, exit_code, status):
    row = device.summarize_run("m.tflite", config, 4, exit_code, load_capture(capture))
    assert row["status"] == status, row["reason"]
    if status == device.OK:
        assert row["fps"] > 0 and row["latency_ms"] > 0
    else:
        assert row["fps"] is None and row["latency_ms"] is None and row["reason"]


def test_a_gpu_number_is_only_trusted_when_the_gpu_took_the_whole_graph():
    partial = device.summarize_run("m.tflite", "gpu-fp16", 4, 0, load_capture("tf56301_logcat_gpu_unsupported_op.txt"))
    assert partial["reason"] == "GPU requested but not fully delegated: UNPACK fell back to the CPU"
    assert partial["gpu_fallback_ops"] == ["UNPACK: Operation is not supported."]
    gate = device.gate_verdict([partial], ["m.tflite"], 15)
    assert not gate["passed"] and "UNPACK" in gate["models"]["m.tflite"]["reason"]
