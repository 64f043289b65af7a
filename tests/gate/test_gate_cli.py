"""The gate end to end: fleet validation, verdicts per class, outputs, exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from accelctl.gate.fleet import FleetError, load_fleet
from tests.conftest import UBUNTU_2204_LIBC, UBUNTU_2204_OS_RELEASE, real_elf_header, run_cli
from tests.gate.imagebuild import docker_save

SITE = "opt/venv/lib/python3.10/site-packages"


def image(tmp_path, torch_version="2.9.1+cpu"):
    layers = [{
        "etc/os-release": UBUNTU_2204_OS_RELEASE, "bin/sh": real_elf_header(),
        "lib/x86_64-linux-gnu/libc.so.6": UBUNTU_2204_LIBC,
    }, {
        "opt/venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.10.12\n", "opt/venv/bin/python3": b"",
        f"{SITE}/torch-{torch_version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: torch\nVersion: {torch_version}\n",
    }]
    return docker_save(tmp_path / "img.tar", layers, ["PATH=/opt/venv/bin:/usr/bin:/bin"])


FLEET = """
fleet: 1
name: test
classes:
  - name: h100
    vendor: nvidia
    compute_capability: "9.0"
    driver: "580.159.04"
  - name: cpu-workers
    vendor: cpu
    required: false
"""


def write(tmp_path, text, name="fleet.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("fleet: 2\nclasses: []", "field 'fleet': must be 1"),
    ("fleet: 1\nclasses:\n  - name: a\n    vendor: nvidia\n", "classes[0] (a): field 'driver'"),
    ("fleet: 1\nclasses:\n  - name: a\n    vendor: nvidida\n    driver: '1'\n", "field 'classes[0].vendor': must be one of"),
    ("fleet: 1\nclasses:\n  - name: a\n    vendor: cpu\n    gpus: 3\n", "field 'classes[0].gpus': unknown field"),
    ("fleet: 1\nclasses:\n  - {name: a, vendor: cpu}\n  - {name: a, vendor: cpu}\n", "classes[1] (a): field 'name': duplicate"),
    ("fleet: [1\n", "not valid YAML"),
])
def test_bad_fleets_name_file_and_field(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(FleetError) as info:
        load_fleet(str(path))
    assert str(path) in str(info.value) and message in str(info.value)


def test_cpu_image_fails_the_gpu_class_and_the_gate(tmp_path):
    img = image(tmp_path)
    fleet = write(tmp_path, FLEET)
    code, out, _ = run_cli(["gate", "--fleet", str(fleet), "--image", str(img), "--format", "json"])
    assert code == 1
    data = json.loads(out)
    verdicts = {c["name"]: (c["verdict"], sorted({f["rule_id"] for f in c["findings"]})) for c in data["classes"]}
    assert verdicts["h100"] == ("fails", ["FW001"])
    assert verdicts["cpu-workers"][0] == "runs"
    assert data["passed"] is False


def test_optional_class_failing_does_not_fail_the_gate(tmp_path):
    img = image(tmp_path)
    fleet = write(tmp_path, FLEET.replace('    driver: "580.159.04"', '    driver: "580.159.04"\n    required: false'))
    code, out, _ = run_cli(["gate", "--fleet", str(fleet), "--image", str(img), "--format", "markdown"])
    assert code == 0
    assert "| h100 | no | ❌ fails | FW001 |" in out


def test_junit_and_summary_outputs(tmp_path):
    img = image(tmp_path)
    fleet = write(tmp_path, FLEET)
    summary = tmp_path / "summary.md"
    code, out, _ = run_cli(["gate", "--fleet", str(fleet), "--image", str(img), "--format", "junit", "--summary", str(summary)])
    assert code == 1
    root = ET.fromstring(out)
    suites = {s.get("name").split()[1]: s for s in root.findall("testsuite")}
    assert set(suites) == {"h100", "cpu-workers"}
    # one case per rule: the CPU-only torch fails FW001 on the H100 class, every other rule passes there
    failed = [c.get("name") for c in suites["h100"].findall("testcase") if c.find("failure") is not None]
    assert [name.split()[0] for name in failed] == ["FW001"]
    assert root.get("failures") == "1" and int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    assert int(suites["h100"].get("tests")) > 1 and suites["cpu-workers"].get("failures") == "0"
    assert summary.read_text().startswith("## accelctl gate: FAILED")


def test_bad_inputs_exit_2(tmp_path):
    fleet = write(tmp_path, FLEET)
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"junk")
    code, _, err = run_cli(["gate", "--fleet", str(fleet), "--image", str(bad)])
    assert code == 2 and "bad.tar" in err
    code, _, err = run_cli(["gate", "--fleet", str(tmp_path / "none.yaml"), "--image", str(bad)])
    assert code == 2 and "cannot read" in err
