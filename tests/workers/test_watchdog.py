"""The rules watchdog ends a worker process whose rules run away, and only then."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.workers.conftest import ROOT

# Three nested comprehensions over 300 items: 27 million steps, about 10 s of CPU. The
# limits refuse such a rule at load; here it stands for one that slips through them.
RUNAWAY = """
import cel
from workers.watchdog import CpuTimeWatchdog

watchdog = CpuTimeWatchdog(0.3).install()
items = "[" + ", ".join(str(i) for i in range(300)) + "]"
cheap = cel.compile("1 + 1 == 2")
for _ in range(1000):
    watchdog.arm()
    cheap.execute(cel.Context({}))
    watchdog.disarm()
print("cheap rules passed", flush=True)
runaway = cel.compile(f"{items}.all(a, {items}.all(b, {items}.all(c, a + b + c >= 0)))")
watchdog.arm()
runaway.execute(cel.Context({}))
print("the runaway rule finished", flush=True)
"""


def test_a_runaway_rule_ends_its_process_after_the_cpu_limit_with_a_stack_dump(
    tmp_path: Path,
) -> None:
    script = tmp_path / "runaway.py"
    script.write_text(RUNAWAY)
    ran = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert ran.returncode == -signal.SIGVTALRM, ran.stderr
    assert "cheap rules passed" in ran.stdout
    assert "the runaway rule finished" not in ran.stdout
    assert "runaway.py" in ran.stderr  # faulthandler's dump names the frame it was in
