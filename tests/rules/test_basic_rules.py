"""Each rule fires on the scenario it is for and stays silent on a healthy one."""

from __future__ import annotations

from accelctl.inventory.nvidia import LibraryResolution
from tests.builders import H100, TORCH_2_11_CU130_PINS, make_inventory, run_rule

HEALTHY = {"driver": "580.159.04", "cuda_driver": "13.0", "gpus": [H100], "dists": [
    ("torch", "2.11.0+cu130", TORCH_2_11_CU130_PINS), ("nvidia-cudnn-cu13", "9.19.0.56", []),
    ("nvidia-nccl-cu13", "2.28.9", []), ("triton", "3.6.0", []), ("torchvision", "0.26.0", ["torch (==2.11.0)"]),
    ("nvidia-cublas", "13.1.0.3", []), ("nvidia-cuda-runtime", "13.0.96", []), ("nvidia-cufft", "12.0.0.61", []),
    ("jax", "0.11.2", ["jaxlib<=0.11.2,>=0.11.2"]), ("jaxlib", "0.11.2", []), ("jax-cuda13-plugin", "0.11.2", ["jax-cuda13-pjrt==0.11.2"]),
    ("jax-cuda13-pjrt", "0.11.2", []),
]}


def ids(findings):
    return [f.rule_id for f in findings]


def test_healthy_h100_node_is_silent():
    inv = make_inventory(**HEALTHY)
    for rule_id in ("DRV002", "LIB001", "LIB002", "LIB003", "FW001", "FW002", "FW003", "PY001", "PY002", "GEN001", "GEN002"):
        assert run_rule(rule_id, inv, expect=["nvidia"]) == [], rule_id


def test_drv002_kernel_module_and_libcuda_differ():
    # after `apt upgrade` of the driver without a reboot: libcuda 550.127.05 over a loaded 550.54.15 module
    [f] = run_rule("DRV002", make_inventory(driver="550.54.15", libcuda="550.127.05", gpus=[H100]))
    assert "kernel module 550.54.15, libcuda 550.127.05" in f.message
    assert any("reboot" in c for s in f.fixes for c in s.commands)


def test_drv002_nvml_mismatch_error_alone_fires():
    [f] = run_rule("DRV002", make_inventory(driver="580.159.04", gpus=[H100], nvml_error="Driver/library version mismatch"))
    assert "Driver/library version mismatch" in f.message


def test_lib001_pinned_cudnn_differs():
    inv = make_inventory(driver="580.159.04", gpus=[H100], dists=[
        ("torch", "2.11.0+cu130", TORCH_2_11_CU130_PINS), ("nvidia-cudnn-cu13", "9.14.0.64", []),
        ("nvidia-nccl-cu13", "2.28.9", []), ("triton", "3.6.0", [])])
    [f] = run_rule("LIB001", inv)
    assert f.severity == "error"  # an older cuDNN minor: torch's cuDNN check refuses it
    assert f.message == "torch 2.11.0+cu130 pins nvidia-cudnn-cu13==9.19.0.56, but 9.14.0.64 is installed."
    assert f.fixes[0].commands == ["/venv/bin/python -m pip install nvidia-cudnn-cu13==9.19.0.56"]


def test_lib002_system_cudnn_first_on_ld_library_path():
    res = LibraryResolution(consumer="torch", library="cudnn", soname="libcudnn.so.9",
                            resolved_path="/usr/lib/x86_64-linux-gnu/libcudnn.so.9", resolved_version="9.1.0",
                            resolved_via="LD_LIBRARY_PATH", expected_path="/venv/lib/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
                            expected_version="9.19.0", shadowed=True)
    inv = make_inventory(driver="580.159.04", gpus=[H100], resolutions=[res],
                         env={"LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu:/usr/local/nvidia/lib64"})
    [f] = run_rule("LIB002", inv)
    assert f.fixes[0].commands == ["export LD_LIBRARY_PATH=/usr/local/nvidia/lib64"]


def test_lib003_cu11_torch_next_to_cu12_wheels():
    # torch 2.0.1+cu118 installed, then an unrelated package pulled nvidia-*-cu12 wheels in
    inv = make_inventory(dists=[("torch", "2.0.1+cu118", []), ("nvidia-cublas-cu11", "11.11.3.6", []),
                                ("nvidia-cudnn-cu11", "8.7.0.84", []), ("nvidia-cublas-cu12", "12.1.3.1", [])])
    [f] = run_rule("LIB003", inv)
    assert f.message == "CUDA 11, 12 wheels are installed together in /venv."
    # both cuBLAS wheels install into nvidia/cublas: the uninstall takes files the cu11 wheel needs, so it is put back
    assert f.fixes[0].commands == [("/venv/bin/python -m pip uninstall -y nvidia-cublas-cu12 && "
                                   "/venv/bin/python -m pip install --force-reinstall --no-deps nvidia-cublas-cu11==11.11.3.6")]


def test_fw001_cpu_torch_on_a_gpu_node():
    inv = make_inventory(driver="580.159.04", cuda_driver="13.0", gpus=[H100], dists=[("torch", "2.9.1+cpu", [])])
    [f] = run_rule("FW001", inv)
    assert f.message.startswith("torch 2.9.1+cpu is built for CPU only")


def test_fw001_silent_without_accelerator():
    assert run_rule("FW001", make_inventory(dists=[("torch", "2.9.1+cpu", [])])) == []


def test_fw002_plugin_of_another_release():
    inv = make_inventory(dists=[("jax", "0.11.2", []), ("jaxlib", "0.11.2", []), ("jax-cuda13-plugin", "0.10.0", [])])
    [f] = run_rule("FW002", inv)
    assert f.message == "jax-cuda13-plugin 0.10.0 does not match jaxlib 0.11.2 (jax 0.11.2)."
    assert f.fixes[0].commands == ["/venv/bin/python -m pip install 'jax[cuda13]==0.11.2'"]


def test_fw003_vllm_built_for_another_torch():
    inv = make_inventory(dists=[("torch", "2.5.1+cu124", []), ("vllm", "0.6.3", ["torch==2.4.0"])])
    [f] = run_rule("FW003", inv)
    assert f.message == "vllm 0.6.3 requires torch==2.4.0, but torch 2.5.1+cu124 is installed."


def test_fw003_torchvision_paired_with_its_torch_is_fine_despite_local_tag():
    inv = make_inventory(dists=[("torch", "2.11.0+cu130", []), ("torchvision", "0.26.0", ["torch (==2.11.0)"])])
    assert run_rule("FW003", inv) == []


def test_py001_wheel_for_another_python():
    inv = make_inventory(python="3.8.10", dists=[("torch", "2.5.1", [])], requires_python={"torch": ">=3.9.0"})
    [f] = run_rule("PY001", inv)
    assert "requires Python >=3.9.0" in f.message


def test_py002_manylinux_2_28_wheel_on_glibc_2_17():
    inv = make_inventory(glibc="2.17", dists=[("torch", "2.6.0", [])],
                         wheel_tags={"torch": ["cp312-cp312-manylinux_2_28_x86_64"]})
    [f] = run_rule("PY002", inv)
    assert f.message == "torch 2.6.0 needs glibc 2.28 or newer; this system has glibc 2.17."
    ok = make_inventory(glibc="2.28", dists=[("torch", "2.6.0", [])], wheel_tags={"torch": ["cp312-cp312-manylinux_2_28_x86_64"]})
    assert run_rule("PY002", ok) == []


def test_rocm_rules():
    inv = make_inventory(amd_gpus=[("AMD Radeon RX 7900 XTX", "gfx1100")], kfd_access=False,
                         env={"HSA_OVERRIDE_GFX_VERSION": "11.0.0"})
    assert ids(run_rule("ROCM003", inv)) == ["ROCM003"]
    [f] = run_rule("ROCM004", inv)
    assert f.message == "HSA_OVERRIDE_GFX_VERSION=11.0.0 is set; the GPU's real target is gfx1100."
    assert run_rule("ROCM003", make_inventory(amd_gpus=[("AMD Instinct MI300X", "gfx942")], kfd_access=True)) == []


def test_gen002_expected_vendor_missing():
    [f] = run_rule("GEN002", make_inventory(), expect=["nvidia"])
    assert f.severity == "error" and "--expect nvidia" in f.message


def test_rocm001_gfx_not_listed_by_the_installed_rocm():
    # ROCm 6.2.0 lists gfx1100, gfx1030, gfx942, gfx90a, gfx908 (rocm matrix, from AMD's compatibility matrix)
    [f] = run_rule("ROCM001", make_inventory(amd_gpus=[("AMD Radeon RX 7600", "gfx1102")], rocm="6.2.0"))
    assert f.message.startswith("ROCm 6.2.0 at /opt/rocm-6.2.0 does not list gfx1102")
    assert run_rule("ROCM001", make_inventory(amd_gpus=[("AMD Instinct MI300X", "gfx942")], rocm="6.2.0")) == []


def test_rocm002_torch_rocm_build_without_the_target():
    import dataclasses

    inv = make_inventory(amd_gpus=[("AMD Radeon RX 7600", "gfx1102")], dists=[("torch", "2.5.1+rocm6.2", [])])
    env = inv.python[0]
    fw = dataclasses.replace(env.frameworks[0], compiled_archs=["gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100"])
    inv = dataclasses.replace(inv, python=[dataclasses.replace(env, frameworks=[fw])])
    [f] = run_rule("ROCM002", inv)
    assert "this GPU is gfx1102" in f.message


def test_xpu001_ipex_for_another_torch():
    inv = make_inventory(dists=[("torch", "2.8.0+xpu", []), ("intel-extension-for-pytorch", "2.7.10+xpu", [])])
    [f] = run_rule("XPU001", inv)
    assert f.message == "intel-extension-for-pytorch 2.7.10+xpu needs torch 2.7.*, but torch 2.8.0+xpu is installed."
    ok = make_inventory(dists=[("torch", "2.7.0+xpu", []), ("intel-extension-for-pytorch", "2.7.10+xpu", [])])
    assert run_rule("XPU001", ok) == []


def test_rocm002_uses_the_matrix_gfx_list_of_an_official_build():
    # torch 2.4.1+rocm6.1: PYTORCH_ROCM_ARCH gfx900;gfx906;gfx908;gfx90a;gfx1030;gfx1100;gfx942
    # (pytorch/builder release/2.4 manywheel/build_docker.sh, in the pytorch matrix)
    inv = make_inventory(amd_gpus=[("AMD Radeon RX 7800 XT", "gfx1101")], dists=[("torch", "2.4.1+rocm6.1", [])])
    [f] = run_rule("ROCM002", inv)
    assert "this GPU is gfx1101" in f.message and "gfx942" in f.message
    assert f.evidence[0].source == "pytorch matrix"
    ok = make_inventory(amd_gpus=[("AMD Instinct MI300X", "gfx942")], dists=[("torch", "2.4.1+rocm6.1", [])])
    assert run_rule("ROCM002", ok) == []
    # 2.5 and later: the list is not recorded, so nothing is claimed
    unknown = make_inventory(amd_gpus=[("AMD Radeon RX 7800 XT", "gfx1101")], dists=[("torch", "2.5.1+rocm6.2", [])])
    assert run_rule("ROCM002", unknown) == []
