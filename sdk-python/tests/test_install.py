"""`pip install` works offline: no package index, setuptools from the system."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from ._events import SDK


class InstallTest(unittest.TestCase):
    def test_pip_install_without_an_index(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "src")  # a copy, so the build leaves nothing in the source tree
            os.mkdir(src)
            for name in ("pyproject.toml", "README.md"):
                shutil.copy(os.path.join(SDK, name), src)
            shutil.copytree(os.path.join(SDK, "tensorscope"), os.path.join(src, "tensorscope"),
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
            site = os.path.join(d, "site")
            env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
            cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                   "-q", "--target", site, src]  # fmt: skip
            r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr)
            probe = "import tensorscope; print(tensorscope.__file__); print(tensorscope.__version__)"
            r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=d,
                               env={**env, "PYTHONPATH": site}, timeout=300)  # fmt: skip
            self.assertEqual(r.returncode, 0, r.stderr)
            path, version = r.stdout.split()
            self.assertEqual(path, os.path.join(site, "tensorscope", "__init__.py"))
            self.assertEqual(version, "0.1.0")


if __name__ == "__main__":
    unittest.main()
