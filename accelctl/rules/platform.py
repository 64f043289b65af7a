"""Which checks apply to the operating system an inventory came from."""

from __future__ import annotations

from collections.abc import Iterator

from accelctl.findings import Evidence
from accelctl.rules.base import ANY_OS, CannotDecide, Hit, RuleContext, rule

_NAMES = {"windows": "Windows", "darwin": "macOS"}


@rule("GEN004", "checks-not-applicable-on-os", "warning", decides_on=("the operating system of the inventory",),
      platforms=ANY_OS)
def checks_not_applicable_on_os(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """This inventory is from Windows or macOS: the Linux checks do not apply and were not run.

    The probes read what a Linux node shows (``/proc/driver/nvidia``, sysfs, the
    ld.so cache, os-release, glibc), and most checks judge those facts against
    Linux data (Linux driver minimums, manylinux wheels, Linux ROCm releases). On
    Windows or macOS those facts do not exist, so an empty answer would read as
    "no GPU" or "no problems" when neither was checked. The doctor runs only the
    checks that hold on every system and names the rest here.

    How to fix: nothing on the machine itself. Run the doctor on the Linux node
    (or in the Linux container or WSL 2 distribution) where the job runs, or keep
    this report for what it is: an inventory, not a verdict.

    References: os-release(5) (the Linux identification file the probes read);
    https://www.freedesktop.org/software/systemd/man/latest/os-release.html
    """
    from accelctl.rules import all_rules
    from accelctl.rules.base import applies_on

    inv = ctx.inventory
    system = inv.os.system
    if system is None:
        os_facts = (inv.os.distro_id, inv.os.kernel, inv.os.arch, inv.os.libc)
        if inv.mode == "live" and not any(os_facts):
            yield CannotDecide("Nothing identifies this machine's operating system (no os-release, kernel release, ELF "
                               "executables or C library), so whether the Linux checks apply cannot be decided; they "
                               "ran as for Linux.", missing=["the operating system of the inventory"],
                               settle=["run the doctor with /etc/os-release and /proc readable"], subject="operating system",
                               severity="info")
        return
    if system == "linux":
        return
    skipped = [r.id for r in all_rules() if not r.removed and not applies_on(r, system)]
    name = _NAMES.get(system, system)
    yield Hit(f"This inventory is from {name}: {len(skipped)} checks read Linux facts and do not apply here, so they "
              f"were not run ({', '.join(skipped)}). Nothing was checked for drivers, libraries or frameworks.",
              subject=f"{name} inventory",
              evidence=[Evidence("operating system", name, ctx.inventory.os.sources.get("system", "system probe"))])
