"""The import-linter contracts hold, and each kind of contract is proven able to fail."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


def _lint(*contracts: str) -> subprocess.CompletedProcess[str]:
    assert LINT, "lint-imports is not installed in this environment"
    args = [LINT, "--no-cache"]
    for contract in contracts:
        args += ["--contract", contract]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


# (contract id, module path relative to ROOT, offending source)
PROBES = [
    ("pure-core", "packages/accounts/src/sagopalgo/accounts/domain/_probe_io.py", "import sqlalchemy\n"),
    ("pure-core", "packages/kernel/src/sagopalgo/kernel/_probe_io.py", "import redis\n"),
    (
        "independent-contexts",
        "packages/catalog/src/sagopalgo/catalog/_probe_reach.py",
        "import sagopalgo.accounts.domain.user\n",
    ),
    (
        "layers",
        "packages/accounts/src/sagopalgo/accounts/domain/_probe_up.py",
        "import sagopalgo.accounts.adapters\n",
    ),
    (
        "only-services-compose",
        "packages/accounts/src/sagopalgo/accounts/adapters/_probe_svc.py",
        "import sagopalgo.api.app\n",
    ),
    ("independent-apps", "services/sse/src/sagopalgo/sse/_probe_api.py", "import sagopalgo.api.app\n"),
    ("infra-apart", "infra/src/sagopalgo/infra/_probe_app.py", "import sagopalgo.platform.settings\n"),
    ("apps-without-pulumi", "services/api/src/sagopalgo/api/_probe_pulumi.py", "import pulumi\n"),
]


@pytest.mark.xdist_group("import-linter")
def test_contracts_are_kept_and_each_can_fail() -> None:
    clean = _lint()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 broken" in clean.stdout

    for contract, relpath, source in PROBES:
        probe = ROOT / relpath
        assert not probe.exists()
        probe.write_text(source)
        try:
            broken = _lint(contract)
        finally:
            probe.unlink()
        assert broken.returncode != 0, f"{contract} did not catch {relpath}"
        assert "BROKEN" in broken.stdout, broken.stdout
