"""Fresh-process helpers for the jit, cache and baseline tests: a runner and an import gate."""

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# Source of ImportGate(name): holds the execution of module ``name`` in any thread but the main
# one until ``release`` is set. The hold is in the loader's exec_module, where only that
# module's import lock is held (a finder's find_spec runs under the global import lock, which
# would stall every import of every thread). ``importers`` lists the threads that imported
# ``name``; ``timed_out`` is set when nobody released the gate within ``timeout`` seconds (e.g.
# because the main thread itself waits for the module).
IMPORT_GATE = r'''
import importlib.machinery
import sys
import threading


class ImportGate:
    def __init__(self, name, timeout=60):
        self.name, self.timeout = name, timeout
        self.reached, self.release, self.done = (threading.Event(), threading.Event(),
                                                 threading.Event())
        self.importers, self.timed_out = [], False
        sys.meta_path.insert(0, self)

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        self.importers.append(threading.current_thread().name)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        spec.loader = _HeldLoader(self, spec.loader)
        return spec


class _HeldLoader:
    def __init__(self, gate, loader):
        self.gate, self.loader = gate, loader

    def __getattr__(self, attr):
        return getattr(self.loader, attr)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        if threading.current_thread() is not threading.main_thread():
            self.gate.reached.set()
            self.gate.timed_out = not self.gate.release.wait(self.gate.timeout)
        self.loader.exec_module(module)
        self.gate.done.set()
'''


def run(code: str, src: Path = SRC, **env_overrides) -> dict:
    """Runs ``code`` in a fresh interpreter on the source tree ``src`` (by default this one);
    returns the JSON it printed last.

    Fails on a non-zero exit status or on any output to stderr.
    """
    env = dict(os.environ, PYTHONPATH=str(src), **env_overrides)
    prelude = "import json, sys, threading, time\nimport numpy as np\n"
    proc = subprocess.run([sys.executable, "-c", prelude + code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])
