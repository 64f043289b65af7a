"""Each rule fires on a fixture rebuilt from a public bug report (issue #7).

Every test rebuilds the reporter's setup with ``make_inventory`` from the facts the
report states (driver, GPU, wheel versions and pins, environment variables) and
checks the finding. Each docstring names the report and the few facts taken from
it; anything the report does not state is left at the builder's defaults, and the
docstring says so. Reports read on 2026-11-22.

Tests marked ``xfail(strict=True)`` are real setups where the rule should fire (or
its fix should work) but does not today: known gaps, not to be fixed here.
"""

from __future__ import annotations

import dataclasses
import re

from accelctl.inventory.nvidia import ContainerRuntimeView, CudaToolkit, LibraryResolution
from accelctl.probes.nvidia.container_view import compat_judgement
from tests.builders import make_inventory, run_rule

UNSTATED_GPU = ("GPU model not stated in the report", None)


def with_framework(inv, name, **changes):
    """The inventory with one framework's derived facts changed (as the probe would set them)."""
    env = inv.python[0]
    fws = [dataclasses.replace(f, **changes) if f.name == name else f for f in env.frameworks]
    return dataclasses.replace(inv, python=[dataclasses.replace(env, frameworks=fws)])


def with_nvidia(inv, **changes):
    return dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, **changes))


def commands(finding):
    return [c for step in finding.fixes for c in step.commands]


# --- DRV001 driver-too-old-for-cuda-runtime ---------------------------------------------------


def test_drv001_torch_cu121_on_driver_470():
    """https://github.com/pytorch/pytorch/issues/112553

    Facts: driver 470.182.03 ("found version 11040", CUDA 11.4), "PyTorch version:
    2.1.0+cu121", Python 3.11.6, glibc 2.31. The GPU model is not in the report: a
    placeholder GPU without compute capability stands in for it.
    """
    inv = make_inventory(driver="470.182.03", cuda_driver="11.4", gpus=[UNSTATED_GPU],
                         dists=[("torch", "2.1.0+cu121", [])], python="3.11.6", glibc="2.31")
    [f] = run_rule("DRV001", inv)
    assert f.rule_id == "DRV001" and f.severity == "error"
    assert "cannot run torch 2.1.0+cu121" in f.message and "CUDA 12.1" in f.message
    keep = [s for s in f.fixes if s.alternative == "keep the driver"]
    assert keep and keep[0].recommended
    # same torch release, CUDA 11.8 build, from its own wheel index
    assert "torch==2.1.0+cu118" in keep[0].commands[0]
    assert "https://download.pytorch.org/whl/cu118" in keep[0].commands[0]


# --- ARCH001 gpu-arch-not-in-wheel ---------------------------------------------------------------


def test_arch001_rtx5090_on_torch_2_0_1_cu118():
    """https://github.com/pBFSLab/DeepPrep/issues/233

    Facts: "RTX 5090", "sm_120", "torch is 2.0.1", "cuda is 11.8", supported list
    "sm_37 ... sm_90". Driver not stated (left unset).
    """
    inv = make_inventory(gpus=[("NVIDIA GeForce RTX 5090", "12.0")], dists=[("torch", "2.0.1+cu118", [])])
    [f] = run_rule("ARCH001", inv)
    assert f.rule_id == "ARCH001" and f.severity == "error"
    assert "no kernels for NVIDIA GeForce RTX 5090 (sm_120)" in f.message
    # the wheel's list as the report prints it: 3.7 ... 9.0
    assert "3.7" in f.message and "9.0" in f.message
    # the recommended build is one with CUDA 12.8 or newer (the first that can target sm_120)
    m = re.search(r"\(cu(\d+)\)", f.fixes[0].title)
    assert m and int(m.group(1)) >= 128, f.fixes[0].title


def test_arch001_pascal_gtx1050_on_torch_2_8_cu128():
    """https://github.com/bnsreenu/digitalsreeni-image-annotator/issues/57

    Facts: "GTX 1050 (compute capability 6.1)", "Driver: 550.163.01", "PyTorch:
    2.8.0+cu128"; the reporter's workaround was an older cu121 build.
    """
    inv = make_inventory(driver="550.163.01", gpus=[("NVIDIA GeForce GTX 1050", "6.1")],
                         dists=[("torch", "2.8.0+cu128", [])])
    [f] = run_rule("ARCH001", inv)
    assert f.rule_id == "ARCH001" and f.severity == "error"
    assert "no kernels for NVIDIA GeForce GTX 1050 (sm_61)" in f.message
    # the same release's cu126 build carries sm_60 SASS, which sm_61 runs, but only under minor-version
    # compatibility on R550; the newest build that runs here in full is torch 2.6.0 (PyPI's cu124 build),
    # the same choice `accelctl plan torch` makes for this node (the reporter's workaround was an older build too)
    assert "torch==2.6.0 " in f.fixes[0].commands[0] and "(cu124)" in f.fixes[0].title
    from accelctl.matrices import MatrixSet
    from accelctl.plan.solve import solve
    from accelctl.plan.target import from_inventory

    plan = solve(["torch"], [from_inventory(inv, MatrixSet(), "node")], MatrixSet())
    assert [p.spec for p in plan.pins if p.name == "torch"] == ["==2.6.0"]
    # and 550 is below CUDA 12.8's full-support driver: DRV001 says minor-version compatibility
    [d] = run_rule("DRV001", inv)
    assert d.severity == "warning" and "minor-version compatibility" in d.message


# --- DRV002 driver-userspace-mismatch ------------------------------------------------------------


def test_drv002_minor_driver_update_without_reboot():
    """https://github.com/oddmario/NVIDIA-Ubuntu-Driver-Guide/issues/4

    Facts: "nvidia-driver-550 550.107.02" installed, "/proc/driver/nvidia/version"
    reports "Kernel Module 550.90.07", NVML "Driver/library version mismatch".
    GPU not stated (placeholder).
    """
    inv = make_inventory(driver="550.90.07", libcuda="550.107.02", gpus=[UNSTATED_GPU],
                         nvml_error="Driver/library version mismatch")
    [f] = run_rule("DRV002", inv)
    assert f.rule_id == "DRV002" and f.severity == "error"
    assert "kernel module 550.90.07, libcuda 550.107.02" in f.message
    assert "Driver/library version mismatch" in f.message
    assert "sudo systemctl reboot" in commands(f)


def test_drv002_kernel_520_userspace_525():
    """https://github.com/illinois-scicomp/machine-shop-maintenance/issues/70

    Facts: "Kernel Module 520.56.06", package "nvidia-smi 525.85.12", "Failed to
    initialize NVML: Driver/library version mismatch". The libcuda version itself is
    not stated, so only the NVML error carries the mismatch here.
    """
    inv = make_inventory(driver="520.56.06", gpus=[UNSTATED_GPU],
                         nvml_error="Failed to initialize NVML: Driver/library version mismatch")
    [f] = run_rule("DRV002", inv)
    assert f.rule_id == "DRV002" and f.severity == "error"
    assert "kernel module 520.56.06" in f.message and "Driver/library version mismatch" in f.message


# --- FW001 wheel-variant-wrong-for-accelerator ---------------------------------------------------


def test_fw001_cpu_torch_on_gtx1650():
    """https://github.com/pytorch/pytorch/issues/102936

    Facts (title and nvidia-smi): "GTX 1650", "torch==2.0.0+cpu", "Driver Version:
    535.98", "CUDA Version: 12.2". Python not stated (builder default).
    """
    inv = make_inventory(driver="535.98", cuda_driver="12.2", gpus=[("NVIDIA GeForce GTX 1650", "7.5")],
                         dists=[("torch", "2.0.0+cpu", [])])
    [f] = run_rule("FW001", inv)
    assert f.rule_id == "FW001" and f.severity == "error"
    assert f.message.startswith("torch 2.0.0+cpu is built for CPU only")
    # a CUDA 12.x build (the driver runs CUDA 12.2) from its PyTorch wheel index
    cmd = f.fixes[0].commands[0]
    assert "+cu12" in cmd and "https://download.pytorch.org/whl/cu12" in cmd


# --- FW002 jax-plugin-mismatch -------------------------------------------------------------------


def test_fw002_cuda12_plugin_newer_than_jaxlib():
    """https://github.com/ma-gilles/recovar/issues/64

    Facts: "jax==0.9.0.1", "jaxlib version 0.9.0.1", "jax_cuda12_plugin version
    0.9.2"; the fix pins the plugin to 0.9.0.1.
    """
    inv = make_inventory(dists=[("jax", "0.9.0.1", ["jaxlib<=0.9.0.1,>=0.9.0.1"]), ("jaxlib", "0.9.0.1", []),
                                ("jax-cuda12-plugin", "0.9.2", [])], frameworks=("jax", "jaxlib"))
    [f] = run_rule("FW002", inv)
    assert f.rule_id == "FW002" and f.severity == "error"
    assert f.message == "jax-cuda12-plugin 0.9.2 does not match jaxlib 0.9.0.1 (jax 0.9.0.1)."
    assert commands(f) == ["/venv/bin/python -m pip install 'jax[cuda12]==0.9.0.1'"]


# --- FW003 accelerator-requirement-conflict ------------------------------------------------------


def test_fw003_xformers_downgraded_torch_under_torchvision():
    """https://github.com/facebookresearch/xformers/issues/1052

    Facts: "xformers 0.0.26.post1" pulled "torch==2.3.0" over "torch 2.3.1+cu121";
    "torchvision 0.18.1+cu121 requires torch==2.3.1", "torchaudio 2.3.1+cu121
    requires torch==2.3.1".
    """
    inv = make_inventory(dists=[("torch", "2.3.0", []), ("torchvision", "0.18.1+cu121", ["torch==2.3.1"]),
                                ("torchaudio", "2.3.1+cu121", ["torch==2.3.1"]),
                                ("xformers", "0.0.26.post1", ["torch==2.3.0"])])
    found = run_rule("FW003", inv)
    assert {f.rule_id for f in found} == {"FW003"} and all(f.severity == "error" for f in found)
    assert sorted(f.message for f in found) == [
        "torchaudio 2.3.1+cu121 requires torch==2.3.1, but torch 2.3.0 is installed.",
        "torchvision 0.18.1+cu121 requires torch==2.3.1, but torch 2.3.0 is installed.",
    ]
    # xformers needs torch 2.3.0: the companions move to the releases paired with it, torch stays
    assert sorted(f.fixes[0].commands[0] for f in found) == [
        "/venv/bin/python -m pip install torchaudio==2.3.0 torch==2.3.0",
        "/venv/bin/python -m pip install torchvision==0.18.0 torch==2.3.0"]
    # or torch moves to the companions' build, which exists as +cu121 on PyTorch's cu121 index
    assert all(f.fixes[1].commands == [("/venv/bin/python -m pip install --index-url https://download.pytorch.org/whl/cu121 "
                                       "torch==2.3.1+cu121")] for f in found)


def test_fw003_xformers_built_for_torch_2_1_0():
    """https://github.com/s9roll7/animatediff-cli-prompt-travel/issues/87

    Facts (a comment's pip output): "xformers 0.0.22.post7 requires torch==2.1.0,
    but you have torch 2.0.1+cu118".
    """
    inv = make_inventory(dists=[("torch", "2.0.1+cu118", []), ("xformers", "0.0.22.post7", ["torch==2.1.0"])])
    [f] = run_rule("FW003", inv)
    assert f.rule_id == "FW003" and f.severity == "error"
    assert f.message == "xformers 0.0.22.post7 requires torch==2.1.0, but torch 2.0.1+cu118 is installed."
    assert f.fixes[1].alternative == "keep torch 2.0.1+cu118"


# --- LIB001 pinned-wheel-not-installed -----------------------------------------------------------


def test_lib001_cudnn_overridden_above_torch_pin():
    """https://github.com/nvidia-cosmos/cosmos-predict2.5/pull/147

    Facts: "torch==2.9.1+cu130 depends on nvidia-cudnn-cu13==9.13.0.50", installed
    "nvidia-cudnn-cu13==9.21.0.82" through a uv override. The override is deliberate
    there (it fixes a conv3d OOM): LIB001 still reports the pin it breaks, as a warning, since
    torch accepts a newer cuDNN minor of the same major (its cuDNN check) and the job runs.
    """
    inv = make_inventory(dists=[("torch", "2.9.1+cu130", ['nvidia-cudnn-cu13==9.13.0.50; platform_system == "Linux"']),
                                ("nvidia-cudnn-cu13", "9.21.0.82", [])])
    [f] = run_rule("LIB001", inv)
    assert f.rule_id == "LIB001" and f.severity == "warning"
    assert f.message == ("torch 2.9.1+cu130 pins nvidia-cudnn-cu13==9.13.0.50, but 9.21.0.82 is installed: "
                         "torch accepts a newer cuDNN of the same major, untested.")
    assert commands(f) == ["/venv/bin/python -m pip install nvidia-cudnn-cu13==9.13.0.50"]


# --- LIB002 library-shadowed ---------------------------------------------------------------------


def test_lib002_cluster_cudnn_module_first_on_ld_library_path():
    """https://github.com/pytorch/functorch/issues/926

    Facts: "PyTorch 1.12 cu113" "compiled against (8, 3, 2) but linked against (8,
    0, 3)", and the LD_LIBRARY_PATH as printed (cudnn v8.0.3.33 module folder
    first). Python 3.8 from the env name "py38"; the wheel's own cuDNN folder is
    torch/lib (path not printed in the report).
    """
    ld = ("/public/apps/cudnn/v8.0.3.33-cuda.11.0/cuda/lib64:/public/apps/cuda/11.0/lib64:/usr/local/cuda/lib64:"
          "/usr/local/cuda/lib64::/public/slurm/20.11.8/lib:/public/slurm/20.11.8/lib")
    res = LibraryResolution(consumer="torch", library="cudnn", soname="libcudnn.so.8",
                            resolved_path="/public/apps/cudnn/v8.0.3.33-cuda.11.0/cuda/lib64/libcudnn.so.8",
                            resolved_version="8.0.3", resolved_via="LD_LIBRARY_PATH",
                            expected_path="/venv/lib/site-packages/torch/lib/libcudnn.so.8", expected_version="8.3.2",
                            shadowed=True)
    inv = make_inventory(gpus=[UNSTATED_GPU], python="3.8.13", dists=[("torch", "1.12.0+cu113", [])],
                         resolutions=[res], env={"LD_LIBRARY_PATH": ld})
    [f] = run_rule("LIB002", inv)
    assert f.rule_id == "LIB002" and f.severity == "error"
    assert "v8.0.3.33-cuda.11.0" in f.message and "8.3.2" in f.message
    kept = ("/public/apps/cuda/11.0/lib64:/usr/local/cuda/lib64:/usr/local/cuda/lib64:"
            "/public/slurm/20.11.8/lib:/public/slurm/20.11.8/lib")
    assert commands(f) == [f"export LD_LIBRARY_PATH={kept}"]


# --- LIB003 mixed-cuda-major-wheels --------------------------------------------------------------


def test_lib003_base_image_nccl_cu12_next_to_cuda13_torch():
    """https://github.com/GoogleCloudPlatform/scientific-computing-examples/pull/157

    Facts: base container installs "nvidia-nccl-cu12 (v2.21.5)", "torch 2.13.0
    requires CUDA 13 and nvidia-nccl-cu13", loader picks the cu12 libnccl
    ("undefined symbol: ncclCommResume"), Python 3.12. torch's NCCL pin (2.29.7) is
    the one in the torch 2.13.0 wheel METADATA (bundled pytorch matrix), assumed
    installed as pip would; torch's CUDA 13.0 is what its torch/version.py reports.
    """
    inv = make_inventory(python="3.12.3", dists=[
        ("torch", "2.13.0", ['nvidia-nccl-cu13==2.29.7; platform_system == "Linux"']),
        ("nvidia-nccl-cu13", "2.29.7", []), ("nvidia-nccl-cu12", "2.21.5", [])])
    inv = with_framework(inv, "torch", runtime_kind="cuda", runtime_version="13.0", variant_source="torch/version.py")
    [f] = run_rule("LIB003", inv)
    assert f.rule_id == "LIB003" and f.severity == "error"
    assert f.message == "CUDA 12, 13 wheels are installed together in /venv."
    # both wheels own nvidia/nccl/lib/libnccl.so.2: the uninstall deletes it, the forced reinstall puts it back
    assert commands(f) == [("/venv/bin/python -m pip uninstall -y nvidia-nccl-cu12 && "
                           "/venv/bin/python -m pip install --force-reinstall --no-deps nvidia-nccl-cu13==2.29.7")]


# --- CTR001 / CTR002 containers ------------------------------------------------------------------


def test_ctr001_image_needs_cuda_12_8_on_driver_550():
    """https://github.com/theroyallab/tabbyAPI/issues/324

    Facts: "unsatisfied condition: cuda>=12.8", "Driver Version: 550.144.03", "CUDA
    Version: 12.4", Ubuntu 24.04. GPU model not stated (placeholder).
    """
    inv = make_inventory(driver="550.144.03", cuda_driver="12.4", gpus=[UNSTATED_GPU],
                         image_env={"NVIDIA_REQUIRE_CUDA": "cuda>=12.8"})
    [f] = run_rule("CTR001", inv)
    assert f.rule_id == "CTR001" and f.severity == "error"
    assert f.message == ("The image requires cuda>=12.8 but the node's driver 550.144.03 supports CUDA 12.4; "
                         "the container runtime will refuse to start it.")


def test_ctr002_compat_libcuda_on_geforce():
    """https://github.com/QuipNetwork/quip-miner/issues/24

    Facts: image bundles "/usr/local/cuda/compat/libcuda.so", "RTX 3060", "host
    driver 570.211.01", "cudaErrorCompatNotSupportedOnDevice", image needs "575".
    The compat library's full version is not stated: its branch (575) stands in.
    """
    in_use, ok, why = compat_judgement("575", "570.211.01", "geforce", None, "/usr/local/cuda/compat", "")
    view = ContainerRuntimeView(compat_libcuda="/usr/local/cuda/compat/libcuda.so.575", compat_version="575",
                                compat_in_use=in_use, compat_ok=ok, compat_detail=why)
    inv = with_nvidia(make_inventory(driver="570.211.01", gpus=[("NVIDIA GeForce RTX 3060", "8.6")]), container=view)
    [f] = run_rule("CTR002", inv)
    assert f.rule_id == "CTR002" and f.severity == "error"
    assert "do not support forward compatibility" in f.message
    assert any("/usr/local/cuda/compat" in c for c in commands(f))


# --- TK001 / TK002 toolkits ----------------------------------------------------------------------


def _toolkit(inv, version, path, gcc=None, gcc_source=None):
    tk = CudaToolkit(path=path, version=version, active=True, active_because="nvcc on PATH",
                     host_gcc=gcc, host_gcc_source=gcc_source)
    return with_nvidia(inv, toolkits=[tk])


def test_tk001_nvcc_10_1_building_for_torch_cu113():
    """https://github.com/daveredrum/Pointnet2.ScanNet/issues/14

    Facts: "PyTorch 1.12.0 with CUDA 11.3", "detected CUDA version (10.1)", "RTX
    3090", "Python 3.9.0", Ubuntu 18.04. The toolkit's path is not stated.
    """
    inv = make_inventory(gpus=[("NVIDIA GeForce RTX 3090", "8.6")], python="3.9.0", glibc="2.27",
                         dists=[("torch", "1.12.0+cu113", [])])
    [f] = run_rule("TK001", _toolkit(inv, "10.1", "/usr/local/cuda"))
    # another major: torch refuses to build extensions, but running torch is fine (issue 21: a warning)
    assert f.rule_id == "TK001" and f.severity == "warning" and "will fail" in f.message
    assert "nvcc 10.1" in f.message and "CUDA 11.3" in f.message


def test_tk001_fix_for_cuda_11_3_is_installable():
    """https://github.com/daveredrum/Pointnet2.ScanNet/issues/14 (same facts as above).

    nvidia-cuda-nvcc-cu11 exists only as 11.7.99 and 11.8.89 on PyPI, so the fix
    must not pin a wheel that cannot install: it points CUDA_HOME at a toolkit.
    """
    inv = make_inventory(gpus=[("NVIDIA GeForce RTX 3090", "8.6")], python="3.9.0",
                         dists=[("torch", "1.12.0+cu113", [])])
    [f] = run_rule("TK001", _toolkit(inv, "10.1", "/usr/local/cuda"))
    assert not any("nvidia-cuda-nvcc" in c for c in commands(f))
    assert "export CUDA_HOME=/usr/local/cuda-11.3" in commands(f)


def test_tk002_gcc_13_with_cuda_12_1():
    """https://github.com/NVlabs/instant-ngp/issues/1562

    Facts: "Ubuntu 24.04", "gcc (Ubuntu 13.2.0-23ubuntu4) 13.2.0", "cuda_12.1",
    "gcc versions later than 12 are not supported". Toolkit path not stated.
    """
    inv = _toolkit(make_inventory(gpus=[UNSTATED_GPU]), "12.1", "/usr/local/cuda-12.1", "13.2.0",
                   "gcc on PATH (gcc --version)")
    [f] = run_rule("TK002", inv)
    assert f.rule_id == "TK002" and f.severity == "warning"
    assert "up to 12" in f.message and "GCC 13.2.0" in f.message
    assert "export NVCC_CCBIN=/usr/bin/gcc-12" in commands(f)


def test_tk002_gcc_14_with_nvcc_12_0():
    """https://github.com/hank-ai/darknet/issues/129

    Facts (a comment): "using GCC 14", "NVCC 12.0", package "cuda-nvcc-12-0-12.0.140",
    "/usr/local/cuda-12.0", "gcc versions later than 12 are not supported".
    """
    inv = _toolkit(make_inventory(gpus=[UNSTATED_GPU]), "12.0.140", "/usr/local/cuda-12.0", "14",
                   "gcc on PATH (as reported)")
    [f] = run_rule("TK002", inv)
    assert f.rule_id == "TK002" and f.severity == "warning"
    assert "supports host GCC up to 12" in f.message
    assert "sudo apt-get install -y gcc-12 g++-12" in commands(f)


# --- ROCm ----------------------------------------------------------------------------------------


def test_rocm001_radeon_780m_gfx1103_on_rocm_6_3_2():
    """https://github.com/ROCm/legacy-rocm-build/issues/6049

    Facts: "Radeon 780M (gfx1103, RDNA3)", "ROCm version: 6.3.2-66", rocBLAS ships
    no gfx1103 TensileLibrary.
    """
    inv = make_inventory(amd_gpus=[("AMD Radeon 780M", "gfx1103")], rocm="6.3.2")
    [f] = run_rule("ROCM001", inv)
    assert f.rule_id == "ROCM001" and f.severity == "warning"
    assert f.message.startswith("ROCm 6.3.2 at /opt/rocm-6.3.2 does not list gfx1103")


def test_rocm001_radeon_vii_gfx906_on_rocm_6_4_0():
    """https://github.com/ROCm/legacy-rocm-build/issues/4625

    Facts: "Radeon VII", "gfx906", "ROCm Version 6.4.0", rocBLAS 6.4.0 has no gfx906
    TensileLibrary, "rocm 6.3 worked fine".
    """
    inv = make_inventory(amd_gpus=[("AMD Radeon VII", "gfx906")], rocm="6.4.0")
    [f] = run_rule("ROCM001", inv)
    assert f.rule_id == "ROCM001" and f.severity == "warning"
    assert f.message.startswith("ROCm 6.4.0 at /opt/rocm-6.4.0 does not list gfx906")


def test_rocm002_rocm62_wheel_without_gfx1010():
    """https://github.com/pytorch/pytorch/issues/132570

    Facts (comments): "Radeon 5700XT" (gfx1010), "HIP error: invalid device
    function", roc-obj-ls of libtorch_hip.so lists "gfx1030, gfx1100, gfx900, gfx906,
    gfx908, gfx90a, gfx942". The torch version is the one another commenter in the
    same thread names for the ROCm 6.2 wheels ("torch 2.5.1+rocm6.2").
    """
    inv = make_inventory(amd_gpus=[("AMD Radeon RX 5700 XT", "gfx1010")], dists=[("torch", "2.5.1+rocm6.2", [])])
    inv = with_framework(inv, "torch", archs_source="roc-obj-ls of libtorch_hip.so (as reported)",
                         compiled_archs=["gfx1030", "gfx1100", "gfx900", "gfx906", "gfx908", "gfx90a", "gfx942"])
    [f] = run_rule("ROCM002", inv)
    assert f.rule_id == "ROCM002" and f.severity == "error"
    assert f.message.endswith("this GPU is gfx1010.")


def test_rocm003_container_user_without_render_group():
    """https://github.com/ROCm/ROCm-docker/issues/116

    Facts: 4 GPUs "AMD Instinct MI100" (gfx908), "Unable to open /dev/kfd read-write:
    Permission denied", groups "rocm-user sudo video" (no render).
    """
    inv = make_inventory(amd_gpus=[("AMD Instinct MI100", "gfx908")] * 4, kfd_access=False)
    [f] = run_rule("ROCM003", inv)
    assert f.rule_id == "ROCM003" and f.severity == "error"
    assert "/dev/kfd" in f.message
    assert any("--group-add render" in c for c in commands(f))
    assert any("render" in c and "usermod" in c for c in commands(f))


def test_rocm004_override_for_rx6700xt():
    """https://github.com/pytorch/pytorch/issues/132570

    Facts (a comment): "RX 6700 XT (gfx1031)", "torch 2.5.1+rocm6.2", Debian 13,
    "HSA_OVERRIDE_GFX_VERSION=10.3.0", still "invalid device function".
    """
    inv = make_inventory(amd_gpus=[("AMD Radeon RX 6700 XT", "gfx1031")], dists=[("torch", "2.5.1+rocm6.2", [])],
                         env={"HSA_OVERRIDE_GFX_VERSION": "10.3.0"})
    [f] = run_rule("ROCM004", inv)
    assert f.rule_id == "ROCM004" and f.severity == "warning"
    assert f.message == "HSA_OVERRIDE_GFX_VERSION=10.3.0 is set; the GPU's real target is gfx1031."


# --- PY002 glibc-too-old-for-wheel ---------------------------------------------------------------


def test_py002_linux_tagged_wheel_needs_glibc_2_28_on_ubuntu_18_04(tmp_path):
    """https://github.com/KumaTea/pytorch-aarch64/issues/16

    Facts: "ubuntu 18.04" (glibc 2.27, as the maintainer answers), "python3.7.10",
    "torch-1.6.0-cp37-cp37m-linux_aarch64.whl", "GLIBC_2.28' not found". A
    ``linux_*`` wheel declares no glibc floor, so the probe reads the GLIBC
    symbol versions its libraries need: the rootfs here carries a torch whose
    libtorch_cpu.so needs GLIBC_2.28 (built with the report's facts; the rest of
    the library is absent).
    """
    from accelctl.doctor import Diagnosis, Source, diagnose, gather
    from tests.conftest import make_tree
    from tests.probes.nvidia.elfbuild import build_shared_object

    site = "opt/venv/lib/python3.7/site-packages"
    aarch64 = 183
    root = make_tree(tmp_path / "rootfs", {
        "etc/os-release": 'NAME="Ubuntu"\nVERSION_ID="18.04"\nID=ubuntu\nPRETTY_NAME="Ubuntu 18.04.5 LTS"\n',
        "bin/sh": build_shared_object([], machine=aarch64)[:64],
        "lib/aarch64-linux-gnu/libc.so.6": b"\x00GNU C Library (Ubuntu GLIBC 2.27-3ubuntu1) stable release version 2.27.\n\x00",
        "opt/venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.7.10\n",
        "opt/venv/bin/python3": None,
        f"{site}/torch-1.6.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: torch\nVersion: 1.6.0\n",
        f"{site}/torch-1.6.0.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp37-cp37m-linux_aarch64\n",
        f"{site}/torch/lib/libtorch_cpu.so": build_shared_object(
            ["libc.so.6"], soname="libtorch_cpu.so", machine=aarch64,
            version_needs={"libc.so.6": ["GLIBC_2.17", "GLIBC_2.28"]}),
    }, links={"opt/venv/bin/python": "python3"})
    report = diagnose(gather(Source(root=str(root))), Diagnosis(select=("PY002",)))
    [f] = report.findings
    assert "torch 1.6.0 needs glibc 2.28 or newer; this system has glibc 2.27" in f.message
    assert f.evidence[0].value == "GLIBC_2.28" and f.evidence[0].source.endswith("torch/lib/libtorch_cpu.so")


# --- FW004 cudnn-older-than-build ---------------------------------------------------------------


def _tensorflow(inv, cuda: str):
    return with_framework(inv, "tensorflow", runtime_kind="cuda", runtime_version=cuda, variant=f"cu{cuda.replace('.', '')}")


def _system_cudnn(inv, version: str, folder: str = "/usr/lib/x86_64-linux-gnu"):
    from accelctl.inventory.nvidia import NativeLibrary

    major = version.split(".")[0]
    lib = NativeLibrary("cudnn", f"{folder}/libcudnn.so.{version}", version=version, soname=f"libcudnn.so.{major}",
                        origin="system", source="test")
    return with_nvidia(inv, libraries=list(inv.nvidia.libraries) + [lib])


def test_fw004_tensorflow_2_12_on_a_system_cudnn_8_5():
    """https://github.com/tensorflow/tensorflow/issues/60913

    Facts: "Loaded runtime CuDNN library: 8.5.0 but source was compiled with:
    8.6.0", "TF 2.12" (its tested build: cuDNN 8.6, CUDA 11.8, tensorflow matrix).
    TensorFlow 2.12 has no and-cuda extra, so it loads the system copy. GPU and
    driver are not stated: an unnamed GPU and the builder's defaults stand in.
    """
    inv = make_inventory(driver="535.104.05", gpus=[UNSTATED_GPU], dists=[("tensorflow", "2.12.0", [])],
                         frameworks=("tensorflow",))
    inv = _system_cudnn(_tensorflow(inv, "11.8"), "8.5.0")
    [f] = run_rule("FW004", inv)
    assert f.severity == "error"
    assert "built with cuDNN 8.6" in f.message and "will load is 8.5" in f.message
    [step] = f.fixes  # 2.12 has no and-cuda extra: only the system cuDNN step
    assert "at least 8.6" in step.title and step.recommended


def test_fw004_cudnn_wheel_9_1_under_a_tensorflow_built_with_9_3():
    """https://github.com/tensorflow/tensorflow/issues/60913 (a later comment)

    Facts: "Loaded runtime CuDNN library: 9.1.0 but source was compiled with:
    9.3.0". The TensorFlow version is not stated: 2.18.0 stands in (its tested
    build uses cuDNN 9.3, tensorflow matrix), with an nvidia-cudnn-cu12 9.1 wheel.
    """
    inv = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], frameworks=("tensorflow",),
                         dists=[("tensorflow", "2.18.0", []), ("nvidia-cudnn-cu12", "9.1.0.70", [])])
    [f] = run_rule("FW004", _tensorflow(inv, "12.5"))
    assert f.severity == "error" and "will load is 9.1" in f.message and "nvidia-cudnn-cu12 9.1.0.70" in f.message
    wheel = [s for s in f.fixes if s.alternative == "cuDNN wheel"]
    assert wheel and wheel[0].recommended and "'tensorflow[and-cuda]==2.18.0'" in wheel[0].commands[0]


def test_fw004_silent_when_the_wheel_is_new_enough_or_there_is_no_nvidia_stack():
    ok = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], frameworks=("tensorflow",),
                        dists=[("tensorflow", "2.18.0", []), ("nvidia-cudnn-cu12", "9.3.0.75", [])])
    assert run_rule("FW004", _tensorflow(ok, "12.5")) == []
    # an older system copy does not matter when TensorFlow (2.14+) finds its wheel
    assert run_rule("FW004", _system_cudnn(_tensorflow(ok, "12.5"), "9.0.0")) == []
    cpu_node = make_inventory(frameworks=("tensorflow",), dists=[("tensorflow", "2.18.0", [])])
    assert run_rule("FW004", _tensorflow(cpu_node, "12.5")) == []


def test_fw004_no_cudnn_at_all_on_a_gpu_node():
    inv = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], frameworks=("tensorflow",),
                         dists=[("tensorflow", "2.18.0", [])])
    [f] = run_rule("FW004", _tensorflow(inv, "12.5"))
    assert "no cuDNN 9 was found" in f.message and "run on the CPU" in f.message


def test_fw004_jax_plugin_on_a_system_cudnn_9_5():
    """https://github.com/AlphaGPU/leetgpu-challenges/issues/205

    Facts: "Loaded runtime CuDNN library: 9.5.1 but source was compiled with:
    9.8.0", JAX on a GPU service (2026-03). The jax version is not stated: 0.9.0
    stands in (its CUDA 12 plugin is built with cuDNN 9.8, jax matrix), installed
    without the with-cuda wheels, so the plugin loads the system cuDNN 9.5.1.
    """
    inv = make_inventory(driver="570.124.06", gpus=[UNSTATED_GPU], frameworks=("jax-cuda12-plugin",),
                         dists=[("jax", "0.9.0", []), ("jaxlib", "0.9.0", []), ("jax-cuda12-plugin", "0.9.0", [])])
    inv = with_framework(inv, "jax-cuda12-plugin", runtime_kind="cuda", runtime_version="12.8", related={"jax": "0.9.0"})
    [f] = run_rule("FW004", _system_cudnn(inv, "9.5.1"))
    assert f.severity == "error" and "requires cuDNN 9.8" in f.message and "will load is 9.5" in f.message
    wheel = [s for s in f.fixes if s.alternative == "cuDNN wheel"]
    assert wheel and "'jax[cuda12]==0.9.0'" in wheel[0].commands[0]
    assert "jax.devices()" in (wheel[0].verify or "")


def test_fw004_silent_for_jax_with_its_cudnn_wheel():
    inv = make_inventory(driver="570.124.06", gpus=[UNSTATED_GPU], frameworks=("jax-cuda12-plugin",),
                         dists=[("jax", "0.9.0", []), ("jaxlib", "0.9.0", []), ("jax-cuda12-plugin", "0.9.0", []),
                                ("nvidia-cudnn-cu12", "9.10.2.21", [])])
    inv = with_framework(inv, "jax-cuda12-plugin", runtime_kind="cuda", runtime_version="12.8", related={"jax": "0.9.0"})
    assert run_rule("FW004", _system_cudnn(inv, "9.5.1")) == []
