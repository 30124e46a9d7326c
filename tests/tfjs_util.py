"""Running the real TensorFlow.js 4.22 (pure-JS CPU backend) from tests: node and the
scripts in tests/tfjs. Tests skip with the reason when node or TF.js is missing, unless
TREINO_REQUIRE_TFJS=1 (CI sets it), which turns the skip into a failure."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

TFJS_DIR = Path(__file__).resolve().parent / "tfjs"
TFJS_VERSION = "4.22.0"


def find_node():
    """The node executable, or a skip (a failure with TREINO_REQUIRE_TFJS=1)."""
    exe = shutil.which("node")
    pkg = TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs" / "package.json"
    if exe is None:
        reason = "node is not installed, so the TF.js interop tests cannot run"
    elif not pkg.exists():
        reason = f"TF.js is not installed: run `npm ci` in {TFJS_DIR}"
    elif json.loads(pkg.read_text())["version"] != TFJS_VERSION:
        reason = f"tests/tfjs has the wrong TF.js version installed: run `npm ci` in {TFJS_DIR}"
    else:
        return exe
    if os.environ.get("TREINO_REQUIRE_TFJS") == "1":
        pytest.fail(f"TREINO_REQUIRE_TFJS=1 but {reason}")
    pytest.skip(reason)


def run_node(node, script, *args):
    """Runs tests/tfjs/<script> with args; its stdout, parsed as JSON."""
    r = subprocess.run([node, str(TFJS_DIR / script), *map(str, args)], capture_output=True,
                       text=True, timeout=120, cwd=TFJS_DIR)
    assert r.returncode == 0, f"node {script} failed:\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


def write_inputs(path, arrays):
    """inputs.json for load_predict_multi.js: a list of {shape, values}."""
    path.write_text(json.dumps([{"shape": list(a.shape), "values": a.ravel().tolist()}
                                for a in arrays]))
