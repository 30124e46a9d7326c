#!/usr/bin/env bash
# Incremental developer build into build/dev-NAME without pip, so several people can
# build and test side by side:
#   tools/dev_build.sh NAME            # builds build/dev-NAME/site/treino/_core*.so
#   PYTHONPATH=build/dev-NAME/site python -m pytest tests/kernels -q
# The package's .py files are symlinked, so Python edits need no rebuild.
set -euo pipefail
name=${1:-default}
root=$(cd "$(dirname "$0")/.." && pwd)
bdir="$root/build/dev-$name"
py=${PYTHON:-python3}
cmake -S "$root" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTREINO_BUILD_PYTHON=ON \
  -Dpybind11_DIR="$("$py" -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v "$py")" >/dev/null
cmake --build "$bdir" --target _core ${EXTRA_TARGETS:-}
site="$bdir/site/treino"
mkdir -p "$site"
for f in "$root"/python/treino/*; do ln -sfn "$f" "$site/$(basename "$f")"; done
for so in "$bdir"/_core*.so; do  # rename, never overwrite: running processes keep the old file
  cp -f "$so" "$site/.tmp_core.so" && mv -f "$site/.tmp_core.so" "$site/$(basename "$so")"
done
echo "built $site"
