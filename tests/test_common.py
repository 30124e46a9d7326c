"""CPU detection, ISA selection and thread count (treino.cpu_info & co.)."""
import os
import subprocess
import sys

import pytest

import treino as tn
from treino import _kernels as K


def _run(code, **env):
    full = dict(os.environ)
    full.pop("TREINO_CPU_ISA", None)
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)


def test_cpu_info_fields():
    info = tn.cpu_info()
    assert info["isa"] in ("ref", "avx2", "avx512")
    assert info["isa"] in info["supported_isas"]
    assert info["supported_isas"][0] == "ref"
    assert info["num_threads"] == tn.get_num_threads() >= 1
    assert isinstance(info["openmp"], bool)


def test_default_isa_is_best_detected():
    out = _run("import treino; i = treino.cpu_info(); print(i['isa'], i['detected_isa'])")
    assert out.returncode == 0, out.stderr
    active, detected = out.stdout.split()
    assert active == detected


@pytest.mark.parametrize("isa", K.cpu_info()["supported_isas"])
def test_env_forces_isa(isa):
    out = _run("import treino; print(treino.cpu_info()['isa'])", TREINO_CPU_ISA=isa)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == isa


def test_env_rejects_unknown_isa():
    out = _run("import treino", TREINO_CPU_ISA="sse9")
    assert out.returncode != 0
    assert "TREINO_CPU_ISA" in out.stderr and "'sse9'" in out.stderr


def test_set_isa_validates():
    with pytest.raises(ValueError, match="'ref', 'avx2', 'avx512'"):
        K.set_isa("neon")
    if "avx512" not in K.cpu_info()["supported_isas"]:
        with pytest.raises(ValueError, match="not supported"):
            K.set_isa("avx512")


def test_omp_num_threads_is_honoured():
    out = _run("import treino; print(treino.get_num_threads())", OMP_NUM_THREADS="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_set_num_threads_roundtrip_and_errors():
    before = tn.get_num_threads()
    try:
        tn.set_num_threads(1)
        assert tn.get_num_threads() == 1
        assert tn.cpu_info()["num_threads"] == 1
        with pytest.raises(ValueError, match=r"n.*\[1, \d+\], received 0"):
            tn.set_num_threads(0)
        with pytest.raises(TypeError, match="must be an int"):
            tn.set_num_threads(2.5)
        assert tn.get_num_threads() == 1
    finally:
        tn.set_num_threads(before)
