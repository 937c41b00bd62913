#!/usr/bin/env bash
# Device check on a machine with an NVIDIA GPU (under 5 minutes): runs the CUDA contract
# suite (every test behind the `cuda` marker) and the GPU benchmarks, then prints a
# summary. Usage: benchmarks/gpu_check.sh [OUT_DIR]   (default: ./gpu_check_out)
# Exit status: 0 when the suite passed and the benchmarks ran, 1 otherwise, 2 without GPU.
set -u
cd "$(dirname "$0")/.."
OUT="${1:-gpu_check_out}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python}"

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: no CUDA device visible to torch"; exit 2
fi
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'device', torch.cuda.get_device_name(0))" | tee "$OUT/device.txt"

# 1. the CUDA suite (about 2 minutes on one GPU); junit XML lists any failure
timeout 200 "$PY" -m pytest -q -m cuda tests -p no:cacheprovider \
    --junitxml="$OUT/cuda_suite.xml" > "$OUT/cuda_suite.log" 2>&1
suite=$?
tail -n 25 "$OUT/cuda_suite.log"

# 2. the GPU benchmarks (about 1 minute)
timeout 150 "$PY" benchmarks/bench_gpu.py --device cuda --size 4096 --batch 256 --steps 10 \
    --json "$OUT/bench_gpu.json" > "$OUT/bench_gpu.log" 2>&1
bench=$?

echo "================ gpu_check summary ================"
cat "$OUT/device.txt"
echo "CUDA suite: $(grep -E '[0-9]+ (passed|failed)' "$OUT/cuda_suite.log" | tail -n 1) (exit $suite)"
grep -E "^(FAILED|ERROR)" "$OUT/cuda_suite.log" | head -n 40
if [ $bench -eq 0 ]; then
    grep -E "^(pulsed update|inference forward|HWA training step)" "$OUT/bench_gpu.log"
else
    echo "benchmarks failed (exit $bench):"; tail -n 20 "$OUT/bench_gpu.log"
fi
[ $suite -eq 0 ] && [ $bench -eq 0 ]
