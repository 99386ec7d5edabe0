"""One scratch folder and sandbox plan per kernel, the same for grading (worker) and validating.

    scratch = Scratch.create(folder)              # run/ home/ home/tmp/ sock/ meta/ (meta: the grader's only)
    config.SplitExecute.sandbox = scratch.sandbox(limits, read_only=..., hide=..., sandboxed=zygote is not None)
"""
import os
from dataclasses import dataclass

from . import sandbox


@dataclass
class Scratch:
    root: str
    run_dir: str
    home: str
    tmp: str
    sock: str
    meta: str

    @classmethod
    def create(cls, root):
        names = {d: os.path.join(root, d) for d in ("run", "home", "sock", "meta")}
        scratch = cls(root=root, run_dir=names["run"], home=names["home"], tmp=os.path.join(names["home"], "tmp"),
                      sock=names["sock"], meta=names["meta"])
        for folder in (root, scratch.run_dir, scratch.home, scratch.tmp, scratch.sock, scratch.meta):
            os.makedirs(folder, exist_ok=True)
        os.chmod(root, 0o711)
        os.chmod(scratch.meta, 0o700)
        return scratch

    def sandbox(self, limits, read_only=(), hide=(), sandboxed=True):
        """What :class:`autograder.execute.SplitExecute` needs: the folders and the kernel's sandbox plan."""
        if not sandboxed:
            return {"run_dir": self.run_dir}
        plan = sandbox.plan(run_dir=self.run_dir, home=self.home, sock_dir=self.sock,
                            report=os.path.join(self.meta, "sandbox.json"), read_only=list(read_only), hide=list(hide),
                            memory_mb=limits["memory_mb"], nproc=limits.get("nproc", 128),
                            fsize_mb=limits.get("fsize_mb", 256), disk_mb=limits.get("disk_mb", 512),
                            cpu_seconds=limits["timeout"] + 30, network=limits.get("network", False))
        plan["status"] = os.path.join(self.meta, "status.json")
        return {"plan": plan, "run_dir": self.run_dir, "home": self.home, "tmp": self.tmp, "sock_dir": self.sock}
