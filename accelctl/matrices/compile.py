"""Write matrices/_compiled/<name>.json: the validated data of each bundled YAML file, keyed by a checksum of the YAML.

    python -m accelctl.matrices.compile      # after editing matrices/*.yaml

A test fails when a twin is stale; a stale or missing twin is simply ignored
at run time (the YAML is read instead), so this only affects speed.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Any

from accelctl.matrices import COMPILED_DIR, bundled_dir, load_file, source_fingerprint, specs
from accelctl.matrices.base import parse_yaml


def plain(value: Any) -> Any:
    """YAML-loaded data as JSON data: dates become ISO text (the compiled twin and the refresh tool compare it)."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def compile_all(folder: Path) -> int:
    out = folder / COMPILED_DIR
    out.mkdir(exist_ok=True)
    known = specs()
    count = 0
    for path in sorted(folder.glob("*.yaml")):
        if path.stem not in known:
            continue
        data = path.read_bytes()
        (out / f"{path.stem}.json").unlink(missing_ok=True)
        load_file(known[path.stem], path)  # validate (from the YAML) before writing the twin
        twin = {"source": source_fingerprint(data), "data": plain(parse_yaml(data))}
        (out / f"{path.stem}.json").write_text(json.dumps(twin, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
        count += 1
    return count


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else bundled_dir()
    print(f"compiled {compile_all(target)} matrices into {target / COMPILED_DIR}")
