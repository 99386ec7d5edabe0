"""The processes a test started, and only those: did any outlive the command that started them?

    with Descendants() as started:
        subprocess.run(["autograder", "grade", ...])
    assert not started.left_behind()

Inside the block this process is a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``, no privilege
needed): a process whose parent exits is handed to us instead of to init, wherever it was in the tree
(a kernel whose monitor died, a fork that outlived its kernel).  So after the command has exited, every
process it left behind is one of our children -- other tests' processes never are, whoever runs the test.
"""
import ctypes
import os
import time

PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)


def _set_subreaper(on):
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1 if on else 0), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


def _stat(pid):
    """(state, parent pid) of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def children():
    """Our own child processes (zombies included)."""
    me = os.getpid()
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(name)
            if stat and stat[1] == me:
                found.add(int(name))
    return found


class Descendants:
    def __enter__(self):
        self.before = children()
        _set_subreaper(True)
        return self

    def __exit__(self, *exc):
        _set_subreaper(False)

    def left_behind(self, patience=120):
        """Processes started in the block that are still running; waits until the dying ones are gone.

        A process that was killed leaves as soon as the kernel has torn it down; ``patience`` seconds only
        bound the wait for one that never leaves (a real leftover), so the verdict does not depend on load.
        """
        deadline = time.monotonic() + patience
        while True:
            alive = []
            for pid in sorted(children() - self.before):
                stat = _stat(pid)
                if stat is None:
                    continue
                if stat[0] in "ZX":  # exited: reap it (it was handed to us, nobody else will)
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass
                    continue
                alive.append(pid)
            if not alive or time.monotonic() > deadline:
                return [f"{pid}: {_cmdline(pid)}" for pid in alive]
            time.sleep(0.1)

    def stop_leftovers(self):
        """Kill what :meth:`left_behind` found, so a failing test does not leave it to the next one."""
        for pid in children() - self.before:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
