"""What student code may do: limits applied to a kernel process between fork and kernel start.

Linux only; each step degrades to a note when the platform refuses it, and the notes travel with the
grading results ("say what you could not do").  In order:

* namespaces (:func:`unshare`, in the monitor process): a new PID namespace, so the kernel is the init of
  its own process tree and every process it leaves behind ends with it; a new network namespace (only a
  loopback that is down: no network); a new mount namespace.  As root these are plain ``unshare(2)``;
  otherwise a user namespace first (what ``unshare -rn`` does).
* a root of its own (:func:`enter`, :func:`_own_root`): the kernel pivots into an empty tmpfs holding only
  read-only binds of the system and Python folders, a fresh ``/proc`` of its PID namespace, a few devices,
  its socket folder and its writable scratch -- a tmpfs of ``disk_mb`` (the disk quota), filled with a copy
  of the scratch folders.  The host's ``/tmp``, ``/run``, ``/dev/shm``, home folders and other kernels'
  scratch do not exist there, so no host unix socket (and no other student's kernel) can be named.
  Protected course paths are empty folders no one may enter.  Where no such root can be made, the kernel
  keeps the host's view (as root, a folder only root may enter, e.g. ``/root`` holding a pyenv interpreter,
  is then covered by a view of just the sub-folders the kernel needs) and the notes say what that opens.
* Landlock (Linux >= 5.13): read-only access to the system and Python folders, read-write access to the
  scratch only, in the socket folder only sockets; no TCP (ABI 4); no abstract unix sockets and no signals
  outside the sandbox (ABI 6).  Where Landlock is missing, protected course folders are covered by empty mounts.
* rlimits: address space, processes (per sandbox uid), file size, CPU seconds, no core dumps.
* the unprivileged uid/gid (root only), with no supplementary groups and ``no_new_privs``; not root: the
  capabilities of the user namespace are dropped.
"""
import ctypes
import json
import os
import resource
import shutil
import stat
import struct
import sys
import tempfile

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are the same on x86_64 and arm64.
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LL_EXECUTE, LL_WRITE_FILE, LL_READ_FILE, LL_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
LL_REMOVE_DIR, LL_REMOVE_FILE, LL_MAKE_CHAR, LL_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
LL_MAKE_REG, LL_MAKE_SOCK, LL_MAKE_FIFO, LL_MAKE_BLOCK, LL_MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
LL_REFER, LL_TRUNCATE, LL_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
LL_FILE_RIGHTS = LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV
LL_READ = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR
LL_WRITE = (LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_DIR | LL_MAKE_REG | LL_MAKE_SOCK
            | LL_MAKE_FIFO | LL_TRUNCATE)  # no devices, no symlinks, no cross-folder links
LL_NET_ALL = 0b11  # bind and connect TCP
LL_SCOPE_ALL = 0b11  # abstract unix sockets and signals of processes outside the domain

SYSTEM_READ = ["/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/opt"]
DEVICES_RW = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
UID_BASE = 1_000_000_000  # sandbox uids are UID_BASE + pid of the monitor: unique while it lives

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.pivot_root.argtypes = [ctypes.c_char_p, ctypes.c_char_p]


class SandboxError(Exception):
    """A limit that was asked for could not be applied."""


def _check(ret, what):
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def prctl(option, value):
    return _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


def landlock_abi():
    """The Landlock ABI version of the running kernel (0: not available)."""
    if not sys.platform.startswith("linux"):
        return 0
    ret = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(0, int(ret))


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


# -- the plan, written by the worker --------------------------------------------------------------

def plan(*, run_dir, home, sock_dir, report, read_only=(), hide=(), memory_mb=2048, nproc=128,
         fsize_mb=256, disk_mb=512, cpu_seconds=600, network=False):
    """The JSON-able description of one kernel's sandbox (see :func:`enter`).

    ``disk_mb`` is the quota of everything the kernel may write (its scratch: ``run_dir`` and ``home``);
    ``sock_dir`` is shared with the grader and holds only the kernel's sockets.
    """
    ro = set(SYSTEM_READ)
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, *read_only):
        ro.add(os.path.realpath(p))
    for p in sys.path:  # site-packages, editable installs (never the current folder)
        if p and os.path.isabs(p) and os.path.isdir(p) and p != os.getcwd():
            ro.add(os.path.realpath(p))
    return {
        "rw": [os.path.realpath(p) for p in (run_dir, home, sock_dir)],
        "scratch": [os.path.realpath(p) for p in (run_dir, home)],
        "sockets": os.path.realpath(sock_dir),
        "ro": sorted(p for p in ro if os.path.exists(p)),
        "hide": [os.path.realpath(p) for p in hide],
        "report": report,
        "memory_mb": memory_mb, "nproc": nproc, "fsize_mb": fsize_mb, "disk_mb": disk_mb, "cpu_seconds": cpu_seconds,
        "network": network,
    }


# -- namespaces, in the monitor process (forks the kernel afterwards) -----------------------------

def unshare(spec):
    """Enter new PID, network and mount namespaces for the children of this process; return notes."""
    notes = {}
    if not sys.platform.startswith("linux"):
        notes["isolation"] = f"none: {sys.platform} has no namespaces"
        return notes
    want = CLONE_NEWPID | CLONE_NEWNS | (0 if spec.get("network") else CLONE_NEWNET)
    uid, gid = os.getuid(), os.getgid()
    try:
        if is_root():
            _check(_libc.unshare(want), "unshare")
        else:
            _check(_libc.unshare(want | CLONE_NEWUSER), "unshare")
            with open("/proc/self/setgroups", "w") as fh:
                fh.write("deny")
            with open("/proc/self/uid_map", "w") as fh:
                fh.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as fh:
                fh.write(f"{gid} {gid} 1")
            notes["user namespace"] = "yes (not root: the kernel keeps your uid)"
        notes["processes"] = "own PID namespace (everything the kernel starts ends with it)"
        notes["network"] = "on (allowed by the instructor)" if spec.get("network") else "none (network namespace)"
        spec["_mountns"] = True
        if spec.get("sockets"):  # where the kernel mounts its own root (see _own_root; removed by cleanup)
            spec["_root"] = tempfile.mkdtemp(prefix=".root-", dir=os.path.dirname(spec["sockets"]))
    except OSError as exc:
        notes["namespaces"] = f"unavailable ({exc.strerror}): stray processes are killed one by one"
        notes["network"] = "on (no network namespace)" if not spec.get("network") else "on"
        spec["_mountns"] = False
    return notes


# -- in the kernel process, before the kernel starts -------------------------------------------------

def enter(spec, notes):
    """Apply the file-system view, Landlock, rlimits and the unprivileged user; write the notes.

    Runs in the forked kernel process (PID 1 of its namespace).  The notes are written to
    ``spec["report"]`` before privileges are dropped, so the kernel cannot change them.
    """
    uid = spec.get("uid") if is_root() else None
    report = open(spec["report"], "w") if spec.get("report") else None  # opened before Landlock closes the door
    try:
        if uid is not None:
            for path in spec["rw"]:
                _chown_tree(path, uid)
        own_root = False
        if spec.get("_mountns"):
            _private_mounts()
            try:
                notes["disk"] = _own_root(spec, uid)
                notes["view"] = ("a root of its own: only the system, Python and scratch folders (no host /tmp, /run, "
                                 "/dev/shm or home folders, no other kernel's files)")
                own_root = True
            except OSError as exc:
                notes["view"] = f"the host's file system (no root of its own: {exc}): host unix sockets can be reached"
        else:
            notes["view"] = "the host's file system (no mount namespace): host unix sockets can be reached"
        if not own_root:
            notes["disk"] = f"no quota (needs a root of its own); files up to {spec.get('fsize_mb')} MB each"
        if uid is not None and not own_root:
            blocked, fixed = _make_reachable(spec["ro"] + spec["rw"], spec.get("_mountns"))
            if blocked:
                notes["user"] = f"root (cannot reach {blocked} as another user)"
                uid = None
            elif fixed:
                notes["mounts"] = ", ".join(fixed) + " replaced by a view of only the folders the kernel needs"
        abi = landlock_abi()
        if abi:
            _landlock(spec, abi)
            notes["files"] = (f"Landlock ABI {abi}: system and Python folders read-only, read-write only the "
                              "scratch folder" + ("; no TCP" if abi >= 4 and not spec.get("network") else "")
                              + ("; no abstract unix sockets or signals out" if abi >= 6 else ""))
        else:
            hidden = _hide(spec) if spec.get("_mountns") else []
            notes["files"] = ("no Landlock: " + (f"course folders hidden by empty mounts ({len(hidden)})"
                                                 if hidden else "the kernel can read what its user can read"))
        notes["unix sockets"] = _unix_sockets(spec, own_root, abi)
        limits = _rlimits(spec, uid is not None)
        notes["limits"] = limits
        if uid is not None:
            prctl(PR_SET_NO_NEW_PRIVS, 1)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            prctl(PR_SET_PDEATHSIG, 9)  # a change of user clears it: the kernel must still die with its monitor
            notes["user"] = f"unprivileged uid {uid}, no groups"
        elif "user" not in notes:
            if not is_root():
                _drop_capabilities()
            notes["user"] = "the grader's own uid (not root: no other uid available); " + _reach(spec, own_root, abi)
    finally:
        if report:
            with report:
                json.dump(notes, report)
    return notes


def _unix_sockets(spec, own_root, abi):
    """Words on whether the kernel can connect() to the host's unix sockets."""
    netns = spec.get("_mountns") and not spec.get("network")
    abstract = "Landlock scoping" if abi >= 6 else "the network namespace" if netns else None
    if own_root and abstract:
        return f"none of the host's (named: not in its root; abstract: {abstract})"
    return ("the host's " + " and ".join(w for w, ok in (("named", own_root), ("abstract", abstract)) if not ok)
            + " unix sockets can be reached")


def _reach(spec, own_root, abi):
    """Words on whether other kernels (running as the same uid) are out of this kernel's reach."""
    kept = (["their files and sockets are not in its root"] if own_root else [])
    kept += ["their processes are not in its PID namespace"] if spec.get("_mountns") else []
    kept += ["no signals or abstract sockets to them (Landlock)"] if abi >= 6 else []
    missing = ([] if own_root else ["their sockets and files"]) + ([] if abi >= 6 else ["signals"])
    return ("other kernels are out of reach: " + ", ".join(kept) if not missing else
            "other kernels' " + " and ".join(missing) + " can be reached (" + (", ".join(kept) or "no isolation") + ")")


def _own_root(spec, uid):
    """Pivot into a root holding only what the kernel needs; return the words on its disk quota.

    A mount namespace of the kernel's own (the monitor keeps the host's view, to record the exit status).
    The new root is an empty tmpfs on a fresh folder; until the pivot nothing else is covered, so a
    failure leaves the host's view intact (the caller falls back to it).
    """
    root = spec.get("_root")
    if not root or not spec.get("scratch") or not spec.get("sockets"):
        raise OSError(22, "the plan names no scratch or socket folder")
    _check(_libc.unshare(CLONE_NEWNS), "unshare(mount)")
    _private_mounts()
    _mount(b"tmpfs", root, b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=755,size=4m,nr_inodes=4096")
    try:
        _fill_root(root, spec, uid)
        os.chdir(root)
        _check(_libc.pivot_root(b".", b"."), "pivot_root")
    except BaseException:
        _libc.umount2(root.encode(), MNT_DETACH)
        raise
    _check(_libc.umount2(b".", MNT_DETACH), "umount the host's root")
    os.chdir("/")
    _libc.mount(None, b"/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    return (f"quota {spec['disk_mb']} MB (a private tmpfs: writing more fails with "
            "\"No space left on device\")")


def _fill_root(root, spec, uid):
    def inside(path):
        return root + path

    bound = []
    for path in sorted(set(spec["ro"])):
        if any(path == b or path.startswith(b.rstrip(os.sep) + os.sep) for b in bound):
            continue
        target = inside(path)
        if path == "/proc":  # the processes of its own PID namespace only
            os.makedirs(target, exist_ok=True)
            if _libc.mount(b"proc", target.encode(), b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None) == 0:
                bound.append(path)
                continue
        if os.path.islink(path):  # /lib -> usr/lib
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(os.readlink(path), target)
            continue
        _bind(path, target, read_only=True)
        bound.append(path)
    os.makedirs(inside("/dev"), exist_ok=True)
    for device in DEVICES_RW:
        if os.path.exists(device):
            _bind(device, inside(device))
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                       ("stderr", "/proc/self/fd/2")):
        os.symlink(link, inside("/dev/" + name))
    _bind(spec["sockets"], inside(spec["sockets"]))
    # the quota: one tmpfs for all the scratch folders, filled with copies of them
    quota = inside("/.quota")
    os.mkdir(quota)
    _mount(b"tmpfs", quota, b"tmpfs", MS_NOSUID | MS_NODEV,
           f"mode=755,size={int(spec['disk_mb'])}m,nr_inodes={max(1024, int(spec['disk_mb']) * 64)}".encode())
    for number, path in enumerate(spec["scratch"]):
        copy = os.path.join(quota, str(number))
        shutil.copytree(path, copy, symlinks=True)
        if uid is not None:
            _chown_tree(copy, uid)
        _bind(copy, inside(path))
    _check(_libc.umount2(quota.encode(), MNT_DETACH), "umount the quota's staging folder")
    os.rmdir(quota)
    for path in spec.get("hide", []):  # protected course paths: there, but no one may enter them
        target = inside(path)
        if os.path.lexists(target) or any(path == b or b.startswith(path.rstrip(os.sep) + os.sep)
                                          for b in spec["ro"] + spec["rw"]):
            continue  # inside a bound folder (Landlock keeps it closed) or on the way to one
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(path):
            os.mkdir(target, 0)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0))
        os.chmod(target, 0)


def _mount(source, target, fstype, flags, data):
    _check(_libc.mount(source, target.encode(), fstype, flags, data), f"mount {fstype or source} on {target}")


def _bind(source, target, read_only=False):
    """Bind ``source`` at ``target`` (made, with its parents, inside the new root)."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    _mount(source.encode(), target, None, MS_BIND | MS_REC, None)
    if read_only:  # best effort (Landlock enforces it anyway): keep the flags a user namespace may not drop
        flags = os.statvfs(source).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _libc.mount(None, target.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, None)


def _drop_capabilities():
    """Not root: give up the capabilities of the user namespace (mount, ptrace, ... inside it)."""
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = ctypes.create_string_buffer(24)
    _check(_libc.capset(ctypes.c_char_p(header), data), "capset")


def _private_mounts():
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")


def _chown_tree(path, uid):
    os.chown(path, uid, uid)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, uid)


def _other_can_enter(path):
    st = os.stat(path)
    return not stat.S_ISDIR(st.st_mode) or bool(st.st_mode & stat.S_IXOTH)


def _first_blocked(paths):
    """The highest folder on the way to one of ``paths`` that a stranger cannot enter."""
    for path in sorted(paths, key=len):
        parts = path.split(os.sep)
        for i in range(2, len(parts) + 1):
            folder = os.sep.join(parts[:i]) or os.sep
            if os.path.isdir(folder) and not _other_can_enter(folder):
                return folder
    return None


def _make_reachable(paths, mountns):
    """Make every path reachable for an unprivileged user; return (a path that is not, folders fixed).

    A folder only root may enter (``/root``, holding the interpreter) is covered, in the kernel's own
    mount namespace, by an empty tmpfs through which just the needed sub-folders are bound again.
    """
    paths = [p for p in paths if os.path.exists(p)]
    fixed = []
    for _ in range(8):
        folder = _first_blocked(paths)
        if folder is None:
            return None, fixed
        if not mountns:
            return folder, fixed
        children = sorted({p[len(folder):].lstrip(os.sep).split(os.sep)[0]
                           for p in paths if p.startswith(folder + os.sep)})
        fds = {name: os.open(os.path.join(folder, name), os.O_PATH) for name in children if name}
        _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=755,size=64k"),
               f"mount tmpfs on {folder}")
        for name, fd in fds.items():
            target = os.path.join(folder, name)
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                os.mkdir(target)
            else:
                open(target, "w").close()
            _check(_libc.mount(f"/proc/self/fd/{fd}".encode(), target.encode(), None, MS_BIND | MS_REC, None),
                   f"bind {target}")
            os.close(fd)
        fixed.append(folder)
    return _first_blocked(paths), fixed


def _hide(spec):
    """Without Landlock: cover protected course folders and files by empty, read-only mounts."""
    hidden = []
    for path in spec.get("hide", []):
        if not os.path.exists(path) or any(path == rw or rw.startswith(path + os.sep) for rw in spec["rw"]):
            continue
        if os.path.isdir(path):
            ret = _libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k")
        else:
            ret = _libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None)
        if ret == 0:
            hidden.append(path)
    return hidden


def _landlock(spec, abi):
    fs = (1 << 13) - 1
    if abi >= 2:
        fs |= LL_REFER
    if abi >= 3:
        fs |= LL_TRUNCATE
    if abi >= 5:
        fs |= LL_IOCTL_DEV
    net = LL_NET_ALL if abi >= 4 and not spec.get("network") else 0
    scoped = LL_SCOPE_ALL if abi >= 6 else 0
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    attr = ctypes.create_string_buffer(struct.pack("QQQ", fs, net, scoped)[:size], size)
    ruleset = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(size), ctypes.c_uint32(0)),
                     "landlock_create_ruleset")
    try:
        scratch = spec.get("scratch", spec["rw"])
        rules = [(p, LL_READ) for p in spec["ro"]] + [(p, LL_READ | LL_WRITE) for p in scratch]
        if spec.get("sockets") and spec["sockets"] not in scratch:  # sockets only: no files beside the quota
            rules.append((spec["sockets"], LL_READ_DIR | LL_MAKE_SOCK | LL_REMOVE_FILE))
        rules += [(p, LL_READ_FILE | LL_WRITE_FILE) for p in DEVICES_RW]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    access &= LL_FILE_RIGHTS
                access &= fs
                rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
                _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(1), rule,
                                     ctypes.c_uint32(0)), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _rlimits(spec, own_uid):
    """Set the resource limits; return them as words for the results."""
    said = []

    def limit(which, value, words):
        try:
            resource.setrlimit(which, (value, value))
            said.append(words)
        except (ValueError, OSError):
            pass

    if spec.get("memory_mb"):
        limit(resource.RLIMIT_AS, spec["memory_mb"] << 20, f"memory {spec['memory_mb']} MB")
    if spec.get("fsize_mb"):
        limit(resource.RLIMIT_FSIZE, spec["fsize_mb"] << 20, f"files up to {spec['fsize_mb']} MB")
    if spec.get("cpu_seconds"):
        limit(resource.RLIMIT_CPU, int(spec["cpu_seconds"]), f"CPU {int(spec['cpu_seconds'])} s")
    limit(resource.RLIMIT_CORE, 0, "no core dumps")
    if spec.get("nproc"):
        if own_uid:
            limit(resource.RLIMIT_NPROC, spec["nproc"], f"{spec['nproc']} processes")
        else:
            said.append("no process-count limit (needs a uid of its own)")
    return ", ".join(said)


def cleanup(spec):
    """After the kernel: remove the (empty, on the host) folder its root was mounted on."""
    if spec.get("_root"):
        try:
            os.rmdir(spec["_root"])
        except OSError:
            pass


def kill_children(pid=None):
    """SIGKILL every child of ``pid`` (default: this process) until none is left; used by the monitor."""
    import signal
    pid = pid or os.getpid()
    for _ in range(50):
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == pid:
                        children.append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        if not children:
            return
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
