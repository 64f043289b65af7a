"""The loader model against the real loader: tiny libraries built here, loaded under LD_DEBUG=libs.

Each case builds shared objects with DT_RPATH or DT_RUNPATH, runs a small C
program that dlopens them in a given order (some of them dlopen a library by
soname themselves, the way libcudnn.so.9 loads its sub-libraries), and reads
which file each library came from out of /proc/self/maps and the search step
out of LD_DEBUG. The model must name the same file and the same step.
Skipped where there is no C compiler. ld.so.cache cases need ldconfig (root)
and are not run here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from accelctl.probes.nvidia.elf import ElfDynamic, ElfError, bytes_reader, read_dynamic
from accelctl.probes.nvidia.ldcache import parse_ld_cache
from accelctl.probes.nvidia.resolution import LoadedObject, LoadRequest, simulate

CC = shutil.which("cc") or shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None or not os.path.exists("/proc/self/maps"),
                                reason="needs a C compiler and /proc")

SUB = "int which_copy(void) { return %d; }\n"
DISPATCHER = ('#include <dlfcn.h>\n'
              'void *load_sub(void) { return dlopen("libsub.so.1", RTLD_NOW | RTLD_GLOBAL); }\n')
FORWARDER = 'extern void *load_sub(void);\nvoid *forward(void) { return load_sub(); }\n'
# argv: "open:PATH" dlopens PATH; "call:PATH:SYMBOL" calls SYMBOL of the library PATH, opened already.
RUNNER = r'''
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (strncmp(arg, "open:", 5) == 0) {
            if (!dlopen(arg + 5, RTLD_NOW | RTLD_GLOBAL)) printf("FAIL %s\n", dlerror());
        } else if (strncmp(arg, "call:", 5) == 0) {
            char *sym = strrchr(arg, ':');
            *sym++ = 0;
            void *h = dlopen(arg + 5, RTLD_NOW | RTLD_NOLOAD);
            void *(*fn)(void) = h ? (void *(*)(void))dlsym(h, sym) : 0;
            if (!fn || !fn()) printf("FAIL %s\n", dlerror());
        }
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096];
    while (maps && fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, ".so")) printf("MAP %s", path);
    }
    return 0;
}
'''


class Lab:
    """A folder of built libraries and the runner; ``run`` returns (mapped files, LD_DEBUG text)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def build(self, rel: str, source: str, soname: str, rpath: str | None = None, runpath: str | None = None,
              needs: tuple[str, ...] = ()) -> str:
        out = self.root / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        src = out.with_suffix(".c")
        src.write_text(source)
        argv = [str(CC), "-shared", "-fPIC", "-o", str(out), str(src), f"-Wl,-soname,{soname}"]
        for lib in needs:  # link against a built library by its path: DT_NEEDED is its soname
            argv += ["-Wl,--no-as-needed", lib]
        if rpath is not None:
            argv += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{rpath}"]
        if runpath is not None:
            argv += ["-Wl,--enable-new-dtags", f"-Wl,-rpath,{runpath}"]
        subprocess.run(argv + ["-ldl"], check=True, capture_output=True)
        return str(out)

    def sub(self, folder: str, number: int) -> str:
        return self.build(f"{folder}/libsub.so.1", SUB % number, "libsub.so.1")

    def runner(self, rpath: str | None = None) -> Path:
        """The test program, built once; with ``rpath``, a copy whose own DT_RPATH is that folder."""
        runner = self.root / ("runner" if rpath is None else "runner-rpath")
        if not runner.exists():
            (self.root / "runner.c").write_text(RUNNER)
            argv = [str(CC), "-o", str(runner), str(self.root / "runner.c"), "-ldl"]
            argv += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{rpath}"] if rpath else []
            subprocess.run(argv, check=True, capture_output=True)
        return runner

    def run(self, steps: list[str], env: dict[str, str], rpath: str | None = None) -> tuple[list[str], str]:
        runner = self.runner(rpath)
        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LD_DEBUG": "libs", **env}
        done = subprocess.run([str(runner), *steps], env=full, capture_output=True, text=True, timeout=30, check=False)
        assert "FAIL" not in done.stdout or "expect-fail" in env.get("CASE", ""), done.stdout
        maps = sorted({line[4:].strip() for line in done.stdout.splitlines() if line.startswith("MAP ")})
        return maps, done.stderr


def dynamic(path: str) -> ElfDynamic | None:
    try:
        return read_dynamic(bytes_reader(Path(path).read_bytes()))
    except (OSError, ElfError):
        return None


def model(requests: list[LoadRequest], env: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    """soname -> (file, search step) as the model predicts, for the first copy of each soname."""
    try:
        cache = parse_ld_cache(Path("/etc/ld.so.cache").read_bytes())
    except (OSError, ValueError):
        cache = []
    out: dict[str, tuple[str | None, str | None]] = {}
    for load in simulate(requests, os.path.isfile, dynamic, env, cache, os.path.realpath):
        if load.via != "already loaded":
            out.setdefault(load.soname, (os.path.realpath(load.path) if load.path else None, load.via))
    return out


def debug_step(ld_debug: str, soname: str, path: str) -> str | None:
    """The search step LD_DEBUG=libs reports for the file that loaded: RPATH, LD_LIBRARY_PATH, RUNPATH ..."""
    step, finding = None, False
    for line in ld_debug.splitlines():
        text = line.split(":", 1)[-1].strip()
        if text.startswith("find library="):
            finding = text.split("=", 1)[1].split(" ")[0] == soname
        elif finding and text.startswith("search path="):
            label = text.rsplit("(", 1)[-1].rstrip(")")
            step = label.split(" from file")[0]
        elif finding and text.startswith("search cache="):
            step = "ld.so.cache"
        elif finding and text.startswith("trying file=") and os.path.realpath(text.split("=", 1)[1]) == path:
            return step
    return None


def mapped(maps: list[str], name: str) -> list[str]:
    return [os.path.realpath(m) for m in maps if os.path.basename(m) == name]


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return Lab(tmp_path)


def check(lab: Lab, requests: list[LoadRequest], env: dict[str, str], soname: str = "libsub.so.1") -> tuple[str | None, str | None]:
    steps = [f"call:{r.caller}:{r.name}" if r.caller and r.name in ("load_sub", "forward") else f"open:{r.name}"
             for r in requests]
    maps, ld_debug = lab.run(steps, env)
    # The model does not see the runner's "call" steps: they stand for the dlopen the library makes.
    modelled = [r if r.name not in ("load_sub", "forward") else LoadRequest("libsub.so.1", r.caller) for r in requests]
    path, via = model(modelled, env).get(soname, (None, None))
    real = mapped(maps, soname)
    assert real[:1] == ([path] if path else []), (real, path, via)
    if path:
        label = debug_step(ld_debug, soname, path)
        # glibc keeps one search-path entry per directory string for the whole process and LD_DEBUG names
        # the object that listed it first (elf/dl-load.c fillin_rpath): a RUNPATH $ORIGIN that expands to a
        # folder an RPATH already named is printed as that RPATH. The file is what counts.
        assert label == via or (via, label) == ("RUNPATH", "RPATH"), (label, via)
    return path, via


def test_rpath_ranks_above_ld_library_path(lab: Lab) -> None:
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    top = lab.build("torch/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                    rpath="$ORIGIN/../wheel", needs=(wheel,))
    env = {"LD_LIBRARY_PATH": os.path.dirname(system)}
    assert check(lab, [LoadRequest(top)], env) == (os.path.realpath(wheel), "RPATH")


def test_runpath_ranks_below_ld_library_path(lab: Lab) -> None:
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    top = lab.build("torch/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                    runpath="$ORIGIN/../wheel", needs=(wheel,))
    env = {"LD_LIBRARY_PATH": os.path.dirname(system)}
    assert check(lab, [LoadRequest(top)], env) == (os.path.realpath(system), "LD_LIBRARY_PATH")
    assert check(lab, [LoadRequest(top)], {}) == (os.path.realpath(wheel), "RUNPATH")


def test_a_dispatcher_with_runpath_gets_its_dlopen_from_ld_library_path(lab: Lab) -> None:
    """libcudnn.so.9's case: it dlopens its sub-libraries by soname with RUNPATH $ORIGIN."""
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    disp = lab.build("wheel/libdisp.so.9", DISPATCHER, "libdisp.so.9", runpath="$ORIGIN")
    top = lab.build("torch/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                    rpath="$ORIGIN/../wheel", needs=(disp,))
    env = {"LD_LIBRARY_PATH": os.path.dirname(system)}
    requests = [LoadRequest(top), LoadRequest("load_sub", disp)]
    assert check(lab, requests, env) == (os.path.realpath(system), "LD_LIBRARY_PATH")
    assert check(lab, requests, {}) == (os.path.realpath(wheel), "RUNPATH")


def test_a_dispatcher_without_paths_inherits_the_rpath_of_its_loader(lab: Lab) -> None:
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    disp = lab.build("wheel/libdisp.so.9", DISPATCHER, "libdisp.so.9")
    top = lab.build("torch/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                    rpath="$ORIGIN/../wheel", needs=(disp,))
    env = {"LD_LIBRARY_PATH": os.path.dirname(system)}
    assert check(lab, [LoadRequest(top), LoadRequest("load_sub", disp)], env) == (os.path.realpath(wheel), "RPATH")


def test_runpath_is_not_inherited_by_a_needed_of_a_needed(lab: Lab) -> None:
    wheel = lab.sub("wheel", 1)
    mid = lab.build("mid/libmid.so", "int mid(void) { return 0; }\n", "libmid.so", needs=(wheel,))
    top = lab.build("torch/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                    runpath="$ORIGIN/../wheel:$ORIGIN/../mid", needs=(mid,))
    env = {"CASE": "expect-fail"}
    assert check(lab, [LoadRequest(top)], env) == (None, None)
    top_rpath = lab.build("torch2/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                          rpath="$ORIGIN/../wheel:$ORIGIN/../mid", needs=(mid,))
    assert check(lab, [LoadRequest(top_rpath)], {}) == (os.path.realpath(wheel), "RPATH")


def test_the_rpath_walk_skips_an_object_with_runpath_and_goes_on_to_its_loader(lab: Lab) -> None:
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    leaf = lab.build("leaf/libleaf.so", "int leaf(void) { return 0; }\n", "libleaf.so", needs=(wheel,))
    mid = lab.build("mid/libmid.so", "int mid(void) { return 0; }\n", "libmid.so",
                    runpath="$ORIGIN/../leaf", needs=(leaf,))
    top = lab.build("torch/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                    rpath="$ORIGIN/../wheel:$ORIGIN/../mid", needs=(mid,))
    env = {"LD_LIBRARY_PATH": os.path.dirname(system)}
    assert check(lab, [LoadRequest(top)], env) == (os.path.realpath(wheel), "RPATH")


def test_a_soname_already_loaded_wins(lab: Lab) -> None:
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    disp = lab.build("wheel/libdisp.so.9", DISPATCHER, "libdisp.so.9", rpath="$ORIGIN")
    requests = [LoadRequest(system), LoadRequest(disp), LoadRequest("load_sub", disp)]
    maps, _ = lab.run([f"open:{system}", f"open:{disp}", f"call:{disp}:load_sub"], {})
    assert mapped(maps, "libsub.so.1") == [os.path.realpath(system)]
    loads = simulate([LoadRequest(r.name, r.caller) if r.name != "load_sub" else LoadRequest("libsub.so.1", disp)
                      for r in requests], os.path.isfile, dynamic, {}, None, os.path.realpath)
    last = loads[-1]
    assert (last.soname, last.path, last.via) == ("libsub.so.1", system, "already loaded")
    assert wheel not in [x.path for x in loads]


def test_a_second_copy_named_by_path_is_mapped_beside_the_first(lab: Lab) -> None:
    """Two frameworks that load the same soname by path from two folders get both files mapped."""
    first, second = lab.sub("a", 1), lab.sub("b", 2)
    maps, _ = lab.run([f"open:{first}", f"open:{second}"], {})
    assert mapped(maps, "libsub.so.1") == sorted([os.path.realpath(first), os.path.realpath(second)])
    loads = simulate([LoadRequest(first), LoadRequest(second)], os.path.isfile, dynamic, {}, None, os.path.realpath)
    assert [(x.path, x.second_copy) for x in loads] == [(first, False), (second, True)]


def test_ld_preload_loads_first_and_wins(lab: Lab) -> None:
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    top = lab.build("torch/libtop.so", "int top(void) { return 0; }\n", "libtop.so",
                    rpath="$ORIGIN/../wheel", needs=(wheel,))
    env = {"LD_PRELOAD": system}
    maps, _ = lab.run([f"open:{top}"], env)
    assert mapped(maps, "libsub.so.1") == [os.path.realpath(system)]
    assert model([LoadRequest(top)], env)["libsub.so.1"] == (os.path.realpath(system), "LD_PRELOAD")


def test_the_programs_rpath_ends_every_rpath_walk(lab: Lab) -> None:
    """A conda python carries DT_RPATH $ORIGIN/../lib: a dlopen from a library without paths searches it first."""
    wheel, system = lab.sub("wheel", 1), lab.sub("system", 2)
    disp = lab.build("plain/libdisp.so.9", DISPATCHER, "libdisp.so.9")
    env = {"LD_LIBRARY_PATH": os.path.dirname(system)}
    maps, _ = lab.run([f"open:{disp}", f"call:{disp}:load_sub"], env, rpath=os.path.dirname(wheel))
    assert mapped(maps, "libsub.so.1") == [os.path.realpath(wheel)]
    program = lab.runner(os.path.dirname(wheel))
    executable = LoadedObject(str(program), dynamic(str(program)))
    loads = simulate([LoadRequest(disp), LoadRequest("libsub.so.1", disp)], os.path.isfile, dynamic, env, None,
                     os.path.realpath, executable=executable)
    assert (loads[-1].path, loads[-1].via) == (wheel, "RPATH")
    assert "DT_RPATH of runner-rpath" in loads[-1].why
