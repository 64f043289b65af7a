"""Per library: the doctor's predicted file beside the one the process mapped; MATCH, DIFF or NOT LOADED.

    python3 loader_truth_compare.py SCENARIO ORDER doctor.json workload.out [ld-debug files...]

For ORDER "torch,jax" the rows compared are torch's alone (``loaded_after`` empty) and jax's after torch.
The doctor names the file as found (its real path); /proc/self/maps names the real path too. LD_DEBUG's
search label is printed for the file that loaded; glibc labels a folder with the first object that named
it, so a RUNPATH $ORIGIN folder already named by an RPATH prints as that RPATH (the file is what counts).
"""

from __future__ import annotations

import json
import os
import sys


def mapped_copies(maps: list[str], soname: str) -> list[str]:
    out = set()
    for path in maps:
        name = os.path.basename(path)
        if name == soname or name.startswith(soname + "."):
            out.add(os.path.realpath(path))
    return sorted(out)


def debug_label(lines: list[str], soname: str, files: list[str]) -> str:
    label, finding = "", False
    for line in lines:
        text = line.split(":", 1)[-1].strip()
        if text.startswith("find library="):
            finding = text.split("=", 1)[1].split(" ")[0] == soname
        elif finding and text.startswith("search path="):
            label = text.rsplit("(", 1)[-1].rstrip(")")
        elif finding and text.startswith("search cache="):
            label = "ld.so.cache"
        elif finding and text.startswith("trying file=") and os.path.realpath(text.split("=", 1)[1]) in files:
            return label
    return ""


def main() -> int:
    scenario, order_text, doctor_path, out_path, *debug_paths = sys.argv[1:]
    order = order_text.split(",")
    try:
        with open(doctor_path) as fh:
            rows = json.load(fh)["inventory"]["nvidia"]["resolutions"]
    except (OSError, ValueError, KeyError) as exc:
        print(f"{scenario} {order_text}: no doctor prediction ({exc})")
        return 0
    with open(out_path, errors="replace") as fh:
        text = fh.read().splitlines()
    maps = [line[4:].strip() for line in text if line.startswith("MAP ")]
    debug: list[str] = []
    for path in debug_paths:
        with open(path, errors="replace") as fh:
            debug += fh.read().splitlines()
    tally = {"MATCH": 0, "DIFF": 0, "NOT LOADED": 0}
    for i, fw in enumerate(order):
        before = order[:i]
        for row in rows:
            if row["consumer"] != fw or row.get("loaded_after", []) != before:
                continue
            predicted = row.get("resolved_path")
            copies = mapped_copies(maps, row["soname"])
            if not copies:
                verdict = "NOT LOADED"
            elif predicted and os.path.realpath(predicted) in copies:
                verdict = "MATCH"
            else:
                verdict = "DIFF"
            tally[verdict] += 1
            others = [c for c in copies if c != predicted]
            who = fw + (f" after {'+'.join(before)}" if before else "")
            print(f"{verdict:10} {scenario:12} {who:18} {row['soname']:40} predicted {predicted} "
                  f"[{row.get('resolved_via')}] {'SHADOWED' if row.get('shadowed') else ''}")
            print(f"{'':10} {'':12} {'':18} {'':40} loaded    {', '.join(copies) or '-'}"
                  + (f"  (LD_DEBUG: {debug_label(debug, row['soname'], copies)})" if copies else "")
                  + (f"  ({len(others)} other copy mapped)" if copies and verdict == "MATCH" and others else ""))
            if verdict == "DIFF":
                print(f"{'':10} {'':12} {'':18} {'':40} doctor's why: {row.get('why')}")
    print(f"TALLY {scenario} {order_text}: " + ", ".join(f"{k} {v}" for k, v in tally.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
