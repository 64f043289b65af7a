"""`accelctl doctor [options]` without importing the CLI framework.

Importing typer and building the command costs 20-60 ms of a ~0.2-0.3 s doctor
run. This parser reads only the common, unambiguous forms of doctor's own
options (``--opt value``, ``--opt=value``, flags); anything else (``--help``,
short-option clusters, values that look like options, usage errors) returns
None and the typer CLI handles the command line, messages included. A test
keeps the option table in step with the typer command's parameters.
"""

from __future__ import annotations

from accelctl.cli.doctor_run import DoctorArgs, check

FLAGS: dict[str, tuple[str, bool]] = {
    "--json": ("json_out", True), "--scan-fatbins": ("scan_fatbins", True), "--debug": ("debug", True),
    "--color": ("color", True), "--no-color": ("color", False),
}
VALUES: dict[str, str] = {
    "--format": "fmt", "-f": "fmt", "--snapshot": "snapshot", "--from": "from_file", "--root": "root",
    "--python": "python", "--fail-on": "fail_on", "--output": "output", "-o": "output",
}
LISTS: dict[str, str] = {"--expect": "expect", "--assume": "assume", "--select": "select", "--ignore": "ignore",
                         "--matrices": "matrices", "--env": "env"}


def parse_doctor(argv: list[str]) -> DoctorArgs | None:
    """DoctorArgs for ``doctor``'s arguments (after the word ``doctor``), or None to let typer decide."""
    values: dict[str, object] = {}
    lists: dict[str, list[str]] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in FLAGS and not eq:
            key, value = FLAGS[name]
            values[key] = value
            i += 1
            continue
        if name in VALUES or name in LISTS:
            if eq:
                value_text = inline
                i += 1
            else:
                if i + 1 >= len(argv):
                    return None
                value_text = argv[i + 1]
                i += 2
            if not value_text or value_text.startswith("-"):
                return None
            if name in VALUES:
                values[VALUES[name]] = value_text
            else:
                lists.setdefault(LISTS[name], []).append(value_text)
            continue
        return None  # --help, positional words, clusters, unknown options: typer's job
    args = DoctorArgs(**values, **lists)  # type: ignore[arg-type]
    return args if check(args) is None else None
