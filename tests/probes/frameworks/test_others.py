from __future__ import annotations

from tests.probes.frameworks.conftest import probe_env


def test_h100_node_jax_and_plugin_agree():
    _, fws, _ = probe_env("h100-node", "/opt/torch/.venv/bin/python3")
    jax, plugin, jaxlib = fws["jax"], fws["jax-cuda13-plugin"], fws["jaxlib"]
    assert jax.related == {"jax": "0.11.2", "jaxlib": "0.11.2", "jax-cuda13-pjrt": "0.11.2", "jax-cuda13-plugin": "0.11.2"}
    assert (jax.consistent, jax.pins) == (True, {"jaxlib": "<=0.11.2,>=0.11.2"})
    assert (plugin.runtime_kind, plugin.runtime_version, plugin.runtime_source) == ("cuda", "13.0", "jax matrix (built_with_cuda)")
    assert plugin.extra_pins["nvidia-cudnn-cu13"] == "<10.0,>=9.12.0.46"
    assert (jaxlib.runtime_kind, jaxlib.variant, jaxlib.glibc_floor) == ("cuda", "cuda13", "2.27")
    assert (fws["cupy-cuda13x"].runtime_kind, fws["cupy-cuda13x"].runtime_version, fws["cupy-cuda13x"].extra_pins) == ("cuda", "13", {"cuda-toolkit": "==13.*"})
    assert (fws["torchvision"].runtime_version, fws["torchvision"].pins_ok) == ("13.0", {"torch": True})


def test_jax_plugin_of_another_release():
    _, fws, _ = probe_env("jax-plugin-mismatch")
    assert fws["jax"].consistent is False
    assert fws["jax"].notes == ["jax-cuda12-pjrt 0.4.34 is not jaxlib's release 0.4.35",
                                "jax-cuda12-plugin 0.4.34 is not jaxlib's release 0.4.35"]
    assert (fws["jaxlib"].runtime_kind, fws["jaxlib"].variant) == ("cuda", "cuda12")
    assert fws["jax-cuda12-plugin"].extra_pins["nvidia-cudnn-cu12"] == "<10.0,>=9.1"


def test_vllm_pinned_to_another_torch():
    env, fws, _ = probe_env("vllm-torch-mismatch")
    vllm = fws["vllm"]
    assert (vllm.pins["torch"], vllm.pins_installed["torch"], vllm.pins_ok["torch"]) == ("==2.4.0", "2.5.1", False)
    assert fws["xformers"].pins_ok == {"torch": True}
    conflicts = [(p.requirer, p.requirement, p.installed) for p in env.requirement_problems if p.kind == "conflict"]
    assert conflicts == [("vllm", "torch==2.4.0", "2.5.1"), ("vllm", "torchvision==0.19", "0.20.1"),
                         ("vllm", "xformers==0.0.27.post2", "0.0.28.post3")]
    assert (fws["torchvision"].runtime_kind, fws["torchvision"].runtime_version) == ("cuda", "12.4")


def test_tensorflow_and_cuda_pins_are_expectations_not_pins():
    env, fws, _ = probe_env("tensorflow-and-others")
    tf = fws["tensorflow"]
    assert (tf.runtime_kind, tf.runtime_version) == ("cuda", "12.5")
    assert tf.extra_pins["nvidia-cudnn-cu12"] == "==9.3.0.75" and "nvidia-cudnn-cu12" not in tf.pins
    assert env.cuda_majors == ["12"]
    assert fws["onnxruntime-gpu"].version == "1.20.2"
