"""Bad usage exits 2 with the closest valid name: --assume keys and values, --expect vendors, plan's packages."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_errors import error_parts
from tests.conftest import run_cli

# -- --assume and --expect (exit 2, with the closest valid name) ---------------------------------------------------

@pytest.mark.parametrize("item, reference, expected", [
    ("drivr=550.54.15", "bad-assume-key", "did you mean 'driver'?"),
    ("cuda_drivr=12.4", "bad-assume-key", "did you mean 'cuda_driver'?"),
    ("driver=abc", "bad-assume-value", "expected a driver version like 550.54.15, got 'abc'"),
    ("cuda_driver=twelve", "bad-assume-value", "expected a CUDA version like 12.4"),
    ("cc=nine", "bad-assume-value", "expected a compute capability like 9.0"),
    ("glibc=new", "bad-assume-value", "expected a glibc version like 2.31"),
    ("torch=latest", "bad-assume-value", "expected a version like 2.5.1+cu124 for torch"),
    ("mylib=1.0", "bad-assume-key", "no distribution of that name is installed"),
    ("os.no_such_field=1", "bad-assume-key", "no field 'no_such_field'"),
    ("nonsense", "bad-assume-key", "expected KEY=VALUE"),
])
def test_bad_assumptions_exit_2_and_name_the_key(h100_snapshot, item, reference, expected):
    code, out, err = run_cli(["doctor", "--from", str(h100_snapshot), "--assume", item])
    assert (code, out) == (2, ""), err
    assert error_parts(err)[0] == reference and expected in err and "argument: --assume" in err


def test_a_distribution_that_is_not_installed_is_added_only_on_purpose(h100_snapshot):
    code, out, err = run_cli(["doctor", "--from", str(h100_snapshot), "--json", "--assume", "pkg:mylib=1.0"])
    assert code == 0, err
    names = [d["name"] for d in json.loads(out)["inventory"]["python"][0]["distributions"]]
    assert "mylib" in names


def test_a_package_the_matrices_know_may_be_assumed_even_when_not_installed(h100_snapshot):
    code, out, err = run_cli(["doctor", "--from", str(h100_snapshot), "--json", "--assume", "vllm=0.10.1"])
    assert code in (0, 1), err
    assert any(f["name"] == "vllm" for f in json.loads(out)["inventory"]["python"][0]["frameworks"])


def test_the_what_if_of_the_readme_still_works(h100_snapshot):
    code, out, _ = run_cli(["doctor", "--from", str(h100_snapshot), "--json", "--assume", "driver=535.104.05",
                            "--assume", "cuda_driver=12.2"])
    assert code == 1 and "DRV001" in {f["rule_id"] for f in json.loads(out)["findings"]}


@pytest.mark.parametrize("command", [["doctor"], ["fix"]])
def test_an_unknown_expect_vendor_is_a_usage_error(h100_snapshot, command):
    code, out, err = run_cli([*command, "--from", str(h100_snapshot), "--expect", "nvidai"])
    assert (code, out) == (2, "")
    reference, hint = error_parts(err)
    assert reference == "unknown-vendor" and "did you mean 'nvidia'?" in hint


def test_explain_an_unknown_rule_suggests_the_closest():
    code, out, err = run_cli(["explain", "no-acelerator"])
    assert (code, out) == (2, "") and error_parts(err)[0] == "unknown-rule" and "'no-accelerator'" in err


# -- plan: names that look like typos ------------------------------------------------------------------------------

def test_plan_refuses_a_misspelt_package_with_the_closest_names():
    code, out, err = run_cli(["plan", "torhc", "--cpu"])
    assert (code, out) == (2, "")
    assert error_parts(err)[0] == "unknown-package" and "did you mean 'torch'?" in err
    code, _, err = run_cli(["plan", "torch", "tensorflw", "jaxlb", "--cpu"])
    assert code == 2 and "'tensorflow'" in err and "'jaxlib'" in err


def test_plan_keeps_names_it_does_not_know_and_that_look_like_no_typo():
    code, out, err = run_cli(["plan", "torch", "numpy", "torchx", "--cpu", "--python", "3.11", "--format", "json"])
    assert code == 0, err
    assert {"numpy", "torchx"} <= set(json.loads(out)["passthrough"])


def test_plan_allow_unknown_keeps_a_typo_as_given():
    code, out, err = run_cli(["plan", "torhc", "--cpu", "--allow-unknown", "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["passthrough"] == ["torhc"]


# -- --select and --ignore: a misspelt rule would silently check nothing ---------------------------------------------

def test_select_takes_comma_separated_rules_as_the_fix_steps_print_them(h100_snapshot):
    both = run_cli(["doctor", "--from", str(h100_snapshot), "--json", "--select", "DRV001,DRV003"])
    apart = run_cli(["doctor", "--from", str(h100_snapshot), "--json", "--select", "DRV001", "--select", "DRV003"])
    assert both[0] == apart[0] and json.loads(both[1])["summary"] == json.loads(apart[1])["summary"]


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_a_rule_key_that_names_no_rule_exits_2_with_the_closest(h100_snapshot, option):
    code, out, err = run_cli(["doctor", "--from", str(h100_snapshot), option, "ENV01x"])
    assert (code, out) == (2, ""), err
    assert error_parts(err)[0] == "unknown-rule" and "'ENV001'" in err and f"argument: {option}" in err
