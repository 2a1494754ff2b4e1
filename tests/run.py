"""`./platform test`'s pytest: with arguments, exactly that pytest run; without, the
whole suite in two pytest processes side by side, since the Kubernetes suite
(tests/e2e/kubernetes, about 4.5 minutes) spends most of its time waiting on pods
(lame duck, probe periods, rollouts), not on the CPU. The rest streams its report as
usual; the Kubernetes suite's report follows it. Either failing fails the run.
Ctrl-C reaches both (one process group): each tears its servers down.

    python -m tests.run [pytest args]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

KUBERNETES = "tests/e2e/kubernetes"
NICENESS = 5  # a quarter of a core's share against a busy one, all of an idle one


def main(args: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    if args:
        os.execv(sys.executable, [*pytest, *args])
    with tempfile.TemporaryFile("w+") as report:
        # At a lower priority (inherited by the control plane, kubelet and the pods): the
        # rest has timing-sensitive tests (deadlines, live pages), the Kubernetes suite
        # only generous bounds.
        beside = subprocess.Popen(["nice", "-n", str(NICENESS), *pytest, KUBERNETES],
                                  stdout=report, stderr=subprocess.STDOUT)
        rest = _finished(subprocess.Popen([*pytest, f"--ignore={KUBERNETES}"]))
        kubernetes = _finished(beside)
        report.seek(0)
        print(f"\n{KUBERNETES}, run beside the rest:\n{report.read()}", flush=True)
    return rest or kubernetes


def _finished(process: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # Ctrl-C reached the pytest processes too: let them tear down


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
