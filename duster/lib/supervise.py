"""Keep one command running: start it again whenever it exits, and say so.

    python -m duster.lib.supervise [--name NAME] -- COMMAND [ARGUMENT ...]

`make run` starts the task worker through this, so a worker that dies (a
crash, an out-of-memory kill, a bug) is back within seconds and the log says
how it ended. Quick repeated exits wait longer each time (1 s doubling to
60 s); after a minute of running, the next restart is quick again.

Ctrl-C (SIGINT) or SIGTERM stops it: the command is asked to finish what it
is doing (SIGTERM), and this exits once it has. A second Ctrl-C passes on
as SIGINT, which makes a worker stop at once. The command runs in its own
process group, so a terminal's Ctrl-C reaches it only through here, once.
"""

import argparse
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

logger = logging.getLogger("duster.supervise")


class Supervisor:
    def __init__(
        self,
        command: Sequence[str],
        *,
        name: str,
        first_pause: float = 1.0,
        longest_pause: float = 60.0,
        healthy_after: float = 60.0,
    ) -> None:
        self.command = list(command)
        self.name = name
        self.first_pause = first_pause
        self.longest_pause = longest_pause
        self.healthy_after = healthy_after
        self.stopping = False
        self.child: subprocess.Popen | None = None

    def run(self) -> int:
        pause = self.first_pause
        status = 0
        while not self.stopping:
            started = time.monotonic()
            self.child = subprocess.Popen(self.command, process_group=0)  # noqa: S603
            if self.stopping:  # asked to stop while it was being started
                self._signal_child(signal.SIGTERM)
            status = self.child.wait()
            if self.stopping:
                break
            ran = time.monotonic() - started
            if ran >= self.healthy_after:
                pause = self.first_pause
            logger.warning(
                "%s %s after %.0f s; starting it again in %.0f s.",
                self.name,
                _how_it_ended(status),
                ran,
                pause,
            )
            self._wait(pause)
            pause = min(pause * 2, self.longest_pause)
        logger.info("%s stopped (it %s).", self.name, _how_it_ended(status))
        return 0

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """First call: ask the command to finish (SIGTERM). A later SIGINT is
        passed on as it is, to force it; a later SIGTERM changes nothing."""
        if not self.stopping:
            self.stopping = True
            logger.info("Stopping %s.", self.name)
            self._signal_child(signal.SIGTERM)
        elif signum == signal.SIGINT:
            self._signal_child(signal.SIGINT)

    def _signal_child(self, signum: int) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))


def _how_it_ended(status: int) -> str:
    if status >= 0:
        return f"exited with status {status}"
    try:
        return f"was killed by {signal.Signals(-status).name}"
    except ValueError:
        return f"was killed by signal {-status}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default="the command", help="what to call it in the log")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGUMENT ...]")
    arguments = parser.parse_args(argv)
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("name a command to run after --")
    logging.basicConfig(
        level=logging.INFO,
        format=f"[%(asctime)s] [supervise {arguments.name}] %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S %z",
    )
    supervisor = Supervisor(command, name=arguments.name)
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Also when started in the background by a shell, which ignores SIGINT there.
        signal.signal(signum, lambda signum, frame: supervisor.stop(signum))
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
