# Part of the runner's Python worker; see worker_common.py.

# ---------------------------------------------------------------- sandbox

libc = None
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))


def mount(src, target, fstype, flags, data):
    enc = lambda s: s.encode() if s is not None else None
    check(libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), "mount " + target)


def umount(target):
    check(libc.umount2(target.encode(), MNT_DETACH), "umount " + target)


def build_root(cfg):
    """Private mount tree: read-only binds of the system dirs, a minimal
    /dev, a /proc of our PID namespace, and a mount point for the per-child
    tmpfs; then pivot into it and drop the host tree."""
    mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    root = "/tmp"  # a tmpfs over /tmp, visible in this namespace only
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for d in cfg["binds"]:
        if not os.path.lexists(d):
            continue
        dst = root + d
        if os.path.islink(d):
            os.symlink(os.readlink(d), dst)
            continue
        os.makedirs(dst, exist_ok=True)
        mount(d, dst, None, MS_BIND | MS_REC, None)
        mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    os.mkdir(root + "/dev")
    for n in ("null", "zero", "full", "random", "urandom"):
        dst = root + "/dev/" + n
        open(dst, "w").close()
        mount("/dev/" + n, dst, None, MS_BIND, None)
        mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC, None)
    os.mkdir(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    os.mkdir(root + "/tmp")
    opts = "size=%d,nr_inodes=%d,mode=0700,uid=%d,gid=%d" % (
        cfg["tmp_bytes"], cfg["tmp_inodes"], cfg["uid"], cfg["uid"])
    mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts)
    os.mkdir(root + "/.old")
    # The syscall number comes from the Go side (unix.SYS_PIVOT_ROOT for
    # the architecture it was built for): 155 on amd64, 41 on arm64.
    check(libc.syscall(cfg["sys_pivot_root"], root.encode(), (root + "/.old").encode()), "pivot_root")
    os.chdir("/")
    umount("/.old")
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


class Sandbox:
    """What a child gets: credentials, limits, filter, working directory."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.isolated = cfg["isolate"]
        self.uid = cfg["uid"]
        self.filter = None
        if cfg.get("seccomp"):
            raw = bytes.fromhex(cfg["seccomp"])
            self.filter_buf = ctypes.create_string_buffer(raw, len(raw))
            self.filter = SockFprog(len(raw) // 8, ctypes.addressof(self.filter_buf))
        # Isolated: a size- and inode-capped tmpfs mounted once (remounting
        # per program costs an RCU grace period, ~10 ms); emptied after
        # every child, once no process of the sandbox is left.
        self.workdir = "/tmp" if self.isolated else cfg["workdir"]

    def clean_workdir(self):
        """Leave the working directory empty and owned by the sandbox uid."""
        for name in os.listdir(self.workdir):
            path = os.path.join(self.workdir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        if self.isolated:
            st = os.stat(self.workdir)
            if st.st_uid != self.uid or st.st_gid != self.uid or st.st_mode & 0o7777 != 0o700:
                os.chown(self.workdir, self.uid, self.uid)
                os.chmod(self.workdir, 0o700)

    def confine_worker(self):
        """Limits that children inherit at fork, applied once to the worker
        (which needs none of what they forbid) instead of once per child:
        attaching a seccomp filter compiles it, ~0.3 ms per child."""
        lim = self.cfg["rlimits"]
        for res, val in ((resource.RLIMIT_AS, lim["as"]), (resource.RLIMIT_FSIZE, lim["fsize"]),
                         (resource.RLIMIT_NOFILE, lim["nofile"]), (resource.RLIMIT_NPROC, lim["nproc"]),
                         (resource.RLIMIT_CORE, 0)):
            if val > 0 or res == resource.RLIMIT_CORE:
                # RLIMIT_NPROC does not bind the worker (root); it binds the
                # children once they switch to the sandbox uid.
                resource.setrlimit(res, (val, val))
        if self.filter is not None:
            check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
            check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self.filter), 0, 0), "seccomp")

    def confine_zygote(self):
        """What every child needs and the zygote may have too: no
        supplementary groups, the working directory, and an OOM score the
        kernel may act on (the worker's -1000 would be inherited)."""
        if self.isolated:
            os.setgroups([])
        os.chdir(self.workdir)
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("0")
        except OSError:
            pass

    def enter(self, cpu_seconds):
        """Runs in the child before any untrusted code."""
        if self.isolated:
            os.setresgid(self.uid, self.uid, self.uid)
            os.setresuid(self.uid, self.uid, self.uid)
        else:
            os.setsid()
        cpu = max(1, int(cpu_seconds + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    def kill_all(self, child, alive):
        """Kill every process of the sandbox (but not the zygote). child()
        gives the child's pid (looked up only when needed); alive says
        whether the zygote has not reaped it yet."""
        pid = child() if alive or not self.isolated else None
        if alive and pid is not None:
            # Directly too: a child killed before it switched uid is root.
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.isolated:
            # Every sandboxed process runs as the sandbox uid (no_new_privs:
            # setuid programs cannot change that), so one kill(-1) sent with
            # that as our real and effective uid reaches all of them,
            # double-forked daemons and setsid escapes included, and not the
            # root zygote. The kernel sends it under the task-list lock, so a
            # concurrent fork cannot slip past it. Saved uid 0 lets us switch
            # back.
            os.setresuid(self.uid, self.uid, 0)
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            finally:
                os.setresuid(0, 0, 0)
                # A credential change clears the parent-death signal the
                # runner set at start; re-arm it so this worker (and with
                # it the whole namespace) still dies with the runner. If
                # the runner died in the microseconds between, the worker
                # exits at its next read of the closed request pipe.
                check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        else:
            # Without namespaces the child leads its own process group
            # (setsid), which outlives it while any member does.
            if pid is None:
                return
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait_gone(self):
        """Reap the orphans of the last program and wait until no process
        but us and the zygote is left in the namespace."""
        if not self.isolated:
            reap_orphans()
            return
        deadline = time.monotonic() + 10
        keep = {"1", str(zygote_pid), "self", "thread-self"}
        while True:
            reap_orphans()
            left = [p for p in os.listdir("/proc") if p[0].isdigit() and p not in keep]
            if not left:
                return
            if time.monotonic() > deadline:
                raise ZygoteDied("processes %s survived SIGKILL" % left)
            os.sched_yield()


class ZygoteDied(Exception):
    pass


zygote_pid = None


def reap_orphans():
    """Reap orphans reparented to us (PID 1) without waiting for the zygote."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == zygote_pid:
            raise ZygoteDied("zygote exited")
