#!/usr/bin/env python3
"""check_deploy.py: static checks of deploy/Dockerfile, deploy/compose.yaml and deploy/k8s/ (no Docker
engine or cluster needed), run by `make test` through tests/run.sh.

Usage: tests/deploy/check_deploy.py [ROOT]      (ROOT: the repository, default: this file's ../..)
Prints one cmocka-style case per check (so tests/run.sh counts them) and each finding as
`check_deploy: FILE: message`. Exit 0 when every check passes, 1 otherwise.

Dockerfile rules in the manner of hadolint: DL3000 (absolute WORKDIR), DL3002 (non-root USER),
DL3006/DL3007 (tagged base, not latest), DL3009 (apt lists removed), DL3015 (no recommends),
DL3020 (COPY, not ADD), DL3025 (JSON CMD/ENTRYPOINT), DL4006 (pipefail with pipes). DL3008
(pinned apt versions) is deliberately not enforced: Debian 12 point releases replace versions.

The facts the deployment files must agree with are read from their one source, never restated
here: the ports from common/rl_config.c's defaults, the binaries from the Makefile (BINS), the
build packages from deploy/deps.sh, the Redis users from deploy/redis/acl.sh.
"""
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys

try:
    import yaml
except ImportError:  # a clear cause instead of a traceback: CI gets it from deploy/deps.sh
    sys.exit("check_deploy: PyYAML is missing: `make deps` installs python3-yaml")

SERVICES = ("register", "treatment", "monitor", "report")
# deploy/deps.sh packages that only the tests, fuzzing or this checker need, not `make all`.
TEST_ONLY_PACKAGES = {"clang", "libcmocka-dev", "redis-server", "redis-tools", "python3", "python3-yaml"}
BUILD_TOOL = re.compile(r"^(build-essential|gcc(-\d+)?|g\+\+(-\d+)?|clang(-\d+)?|make|cmake|autoconf|automake|"
                        r"libtool|pkg-config|pkgconf|protobuf-c-compiler|.*-dev)$")
BUILD_CMD = re.compile(r"(^|[\s;&|(])(gcc|g\+\+|cc|clang|make|cmake)(\s|$)")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


class Findings:
    """The findings of one check: where and what, in the order found."""

    def __init__(self):
        self.items = []
        self.notes = []  # facts worth printing that are not failures

    def add(self, where, msg):
        self.items.append(f"{where}: {msg}")

    def note(self, msg):
        self.notes.append(msg)


# ---------------------------------------------------------------- sources of truth

class Repo:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self._cache = {}

    def path(self, rel):
        return os.path.join(self.root, rel)

    def read(self, rel):
        with open(self.path(rel), encoding="utf-8") as f:
            return f.read()

    def cached(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def ports(self):
        """{'register': 7101, ..., 'report_pub': 7105, 'redis': 7100} from rl_config_defaults()."""
        def load():
            text = self.read("common/rl_config.c")
            ports = {m.group(1): int(m.group(2)) for m in
                     re.finditer(r'cfg->(\w+)_endpoint\s*,[^"]*"tcp://[^":]*:(\d+)"', text)}
            m = re.search(r"cfg->redis_port\s*=\s*(\d+)\s*;", text)
            if m:
                ports["redis"] = int(m.group(1))
            return ports
        return self.cached("ports", load)

    def make_bins(self):
        """Names of the binaries `make all` builds (the Makefile's BINS), or None if make fails."""
        def load():
            try:
                out = subprocess.run(["make", "-s", "--no-print-directory", "-C", self.root,
                                      "--eval", "rl-print-bins: ; @echo $(BINS)", "rl-print-bins"],
                                     capture_output=True, text=True, timeout=60, check=True).stdout
            except (OSError, subprocess.SubprocessError):
                return None
            return {os.path.basename(b) for b in out.split()}
        return self.cached("bins", load)

    def deps_packages(self):
        text = self.read("deploy/deps.sh")
        m = re.search(r"^pkgs=\(([^)]*)\)", text, re.M)
        return m.group(1).split() if m else []

    def stop_bound_s(self):
        """RL_STOP_BOUND_MS of common/rl_limits.h in seconds (a service exits this soon after
        SIGTERM), or None when it cannot be read."""
        try:
            m = re.search(r"#define\s+RL_STOP_BOUND_MS\s+(\d+)", self.read("common/rl_limits.h"))
        except OSError:
            return None
        return int(m.group(1)) / 1000 if m else None

    def acl_users(self):
        m = re.search(r"^SERVICES=\(([^)]*)\)", self.read("deploy/redis/acl.sh"), re.M)
        return set(m.group(1).split()) if m else set()


# ---------------------------------------------------------------- Dockerfile

def parse_dockerfile(text):
    """[(lineno, INSTRUCTION, args)] with continuations joined and comments dropped."""
    out, buf, start = [], "", 0
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if buf and s.startswith("#"):
            continue  # a comment inside a continued instruction
        if not buf:
            start = no
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        word, _, rest = buf.partition(" ")
        out.append((start, word.upper(), rest.strip()))
        buf = ""
    if buf:
        word, _, rest = buf.partition(" ")
        out.append((start, word.upper(), rest.strip()))
    return out


class Stage:
    def __init__(self, lineno, image, name):
        self.lineno, self.image, self.name = lineno, image, name
        self.instr = []  # (lineno, INSTRUCTION, args)
        self.parent = None  # the Stage it starts FROM, when it starts from a stage


def dockerfile_stages(text):
    stages = []
    for no, ins, args in parse_dockerfile(text):
        if ins == "FROM":
            parts = [p for p in args.split() if not p.startswith("--")]
            image = parts[0] if parts else ""
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else str(len(stages))
            st = Stage(no, image, name)
            st.parent = next((s for s in stages if s.name == image), None)
            stages.append(st)
        elif stages:
            stages[-1].instr.append((no, ins, args))
    return stages


def copy_parts(args):
    """COPY/ADD args -> (flags dict, sources, destination)."""
    try:
        words = json.loads(args) if args.startswith("[") else shlex.split(args)
    except ValueError:
        words = args.split()
    flags = {}
    while words and words[0].startswith("--"):
        k, _, v = words.pop(0)[2:].partition("=")
        flags[k] = v
    return flags, words[:-1], words[-1] if words else ""


def apt_installs(run):
    """Packages of every `apt-get install` in a RUN command line."""
    pkgs = []
    for seg in re.split(r"&&|\|\||;|\|", run):
        words = seg.split()
        if "apt-get" in words and "install" in words:
            pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs


def dockerignore_excludes(patterns, rel):
    """True when .dockerignore keeps rel (a path in the repo) out of the build context."""
    rel = rel.strip("/")
    excluded = False
    for pat in patterns:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        p = p.strip("/")
        # a pattern matches the path or any directory above it
        parts = rel.split("/")
        hit = any(fnmatch.fnmatch("/".join(parts[:i]), p) or
                  (p.startswith("**/") and fnmatch.fnmatch(parts[i - 1], p[3:]))
                  for i in range(1, len(parts) + 1))
        if hit:
            excluded = not neg
    return excluded


def check_dockerfile(repo, f):
    rel = "deploy/Dockerfile"
    try:
        stages = dockerfile_stages(repo.read(rel))
    except OSError as e:
        f.add(rel, f"cannot read: {e}")
        return
    if len(stages) < 2:
        f.add(rel, "not a multi-stage build (a build stage and a runtime stage)")
        return
    names = {s.name for s in stages}
    try:
        ignore = [l.strip() for l in repo.read(".dockerignore").splitlines()
                  if l.strip() and not l.strip().startswith("#")]
    except OSError:
        ignore = None
        f.add(".dockerignore", "missing: the whole repository (var/ with keys, build/) would be sent to docker build")
    bins = repo.make_bins()
    if bins is None:
        f.add("Makefile", "cannot list its binaries (make --eval ... $(BINS))")
        bins = set()
    builders = {copy_parts(a)[0].get("from") for s in stages for _, i, a in s.instr if i == "COPY"} - {None}

    def chain(st):
        while st:
            yield st
            st = st.parent

    for st in stages:
        where = f"{rel}:{st.lineno}"
        if st.image not in names:
            repo_, _, tag = st.image.rpartition(":") if ":" in st.image.split("/")[-1] else (st.image, "", "")
            if "@sha256:" in st.image:
                pass
            elif not tag:
                f.add(where, f"FROM {st.image}: pin a tag (e.g. debian:12-slim)")
            elif tag == "latest":
                f.add(where, f"FROM {st.image}: 'latest' is not a pinned tag")
            elif not re.match(r"^debian:12(\.\d+)?-slim$", st.image):
                f.add(where, f"FROM {st.image}: stages build on Debian 12 slim (debian:12-slim)")
        for no, ins, args in st.instr:
            w = f"{rel}:{no}"
            if ins == "ADD":
                f.add(w, "ADD: use COPY for local files (ADD also unpacks archives and fetches URLs)")
            if ins in ("CMD", "ENTRYPOINT") and not args.startswith("["):
                f.add(w, f"{ins} in shell form: use the JSON form, so SIGTERM reaches the service, not sh")
            if ins == "WORKDIR" and not args.startswith("/"):
                f.add(w, f"WORKDIR {args}: use an absolute path")
            if ins == "RUN" and re.search(r"[^|]\|[^|]", args) and not any(
                    i == "SHELL" and "pipefail" in a for anc in chain(st) for _, i, a in anc.instr):
                f.add(w, "RUN with a pipe but no SHELL [..., \"-o\", \"pipefail\", ...]: a failing stage "
                         "of the pipe would pass")
            if ins in ("COPY", "ADD"):
                flags, srcs, dest = copy_parts(args)
                if "from" in flags:
                    if flags["from"] not in names:
                        f.add(w, f"COPY --from={flags['from']}: no such stage")
                    for s in srcs:
                        if "/build/bin/" in s and os.path.basename(s) not in bins:
                            f.add(w, f"COPY {s}: the Makefile builds no binary {os.path.basename(s)} "
                                     f"(BINS: {' '.join(sorted(bins))})")
                else:
                    for s in srcs:
                        if not os.path.exists(repo.path(s)):
                            f.add(w, f"COPY {s}: no such file in the repository")
                        elif ignore is not None and dockerignore_excludes(ignore, s):
                            f.add(w, f"COPY {s}: excluded from the build context by .dockerignore")
                if st.name not in builders and "chown" not in flags:
                    f.add(w, f"COPY into an image stage without --chown ({' '.join(srcs)})")
            if ins == "RUN" and "apt-get" in args:
                if "install" in args and "--no-install-recommends" not in args:
                    f.add(w, "apt-get install without --no-install-recommends")
                if "install" in args and not re.search(r"\s-y\b|--yes|--assume-yes", args):
                    f.add(w, "apt-get install without -y")
                if "install" in args and "apt-get update" not in args:
                    f.add(w, "apt-get install without apt-get update in the same RUN (stale package lists)")
                if "install" in args and "rm -rf /var/lib/apt/lists" not in args:
                    f.add(w, "apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN")
    # the build stage: deps.sh's build packages, then make all
    for st in stages:
        if st.name not in builders:
            continue
        installed = {p for _, i, a in st.instr if i == "RUN" for p in apt_installs(a)}
        for p in repo.deps_packages():
            if p not in TEST_ONLY_PACKAGES and not p.startswith("libclang-rt") and p not in installed:
                f.add(f"{rel}:{st.lineno}", f"build stage {st.name} does not install {p} (deploy/deps.sh)")
        if not any(i == "RUN" and re.search(r"\bmake\b.*\ball\b", a) for _, i, a in st.instr):
            f.add(f"{rel}:{st.lineno}", f"build stage {st.name} does not run make all")
    # image stages (everything not copied from): no build tools, a non-root USER, a HEALTHCHECK
    parents = {s.parent.name for s in stages if s.parent}
    reported = set()  # an instruction of a shared base is reported once, not once per child
    for st in stages:
        if st.name in builders:
            continue
        for anc in chain(st):
            for no, ins, args in anc.instr:
                if ins != "RUN" or no in reported:
                    continue
                for p in apt_installs(args):
                    if BUILD_TOOL.match(p):
                        reported.add(no)
                        f.add(f"{rel}:{no}", f"stage {anc.name} installs the build tool {p} (build stages only)")
                cmds = [seg for seg in re.split(r"&&|\|\||;|\|", args) if "apt-get" not in seg]
                if any(BUILD_CMD.search(seg) for seg in cmds):
                    reported.add(no)
                    f.add(f"{rel}:{no}", f"stage {anc.name} runs a compiler or make (build stages only)")
        if st.name in parents:
            continue  # a base of other stages: its children are the images
        user = next((a for anc in chain(st) for _, i, a in reversed(anc.instr) if i == "USER"), None)
        if user is None:
            f.add(f"{rel}:{st.lineno}", f"stage {st.name} has no USER: it would run as root")
        elif user.split(":")[0] in ("root", "0"):
            f.add(f"{rel}:{st.lineno}", f"stage {st.name} runs as USER {user}: use the non-root uid")
        hc = next((a for anc in chain(st) for _, i, a in reversed(anc.instr) if i == "HEALTHCHECK"), None)
        if hc is None or hc.strip().upper() == "NONE":
            f.add(f"{rel}:{st.lineno}", f"stage {st.name} has no HEALTHCHECK")
        else:
            m = re.search(r"\bCMD\s+(\[.*\])\s*$", hc)
            cmd = json.loads(m.group(1)) if m else []
            copied = {os.path.join(copy_parts(a)[2], "") if copy_parts(a)[2].endswith("/") else copy_parts(a)[2]
                      for anc in chain(st) for _, i, a in anc.instr if i == "COPY"}
            if cmd and cmd[0].startswith("riskline") and f"/usr/local/bin/{cmd[0]}" not in copied and \
                    not (cmd[0] in bins and "/usr/local/bin/" in copied):
                f.add(f"{rel}:{st.lineno}", f"HEALTHCHECK runs {cmd[0]}, which stage {st.name} does not copy "
                                            f"into /usr/local/bin")
    # the runtime image binds the configured ports
    final = stages[-1]
    ports = repo.ports()
    env = " ".join(a for anc in chain(final) for _, i, a in anc.instr if i == "ENV")
    for svc, port in ports.items():
        if svc == "redis":
            continue
        m = re.search(rf"RISKLINE_{svc.upper()}_ENDPOINT=tcp://([^:\s]+):(\d+)", env)
        if not m:
            f.add(rel, f"runtime stage does not set RISKLINE_{svc.upper()}_ENDPOINT (containers bind 0.0.0.0)")
        elif int(m.group(2)) != port:
            f.add(rel, f"RISKLINE_{svc.upper()}_ENDPOINT port {m.group(2)} disagrees with "
                       f"common/rl_config.c ({port})")
    # the services stop gracefully on SIGTERM (and exit within RL_STOP_BOUND_MS): the image says so
    stop = next((a for anc in chain(final) for _, i, a in reversed(anc.instr) if i == "STOPSIGNAL"), None)
    if stop is None:
        f.add(rel, "runtime stage has no STOPSIGNAL SIGTERM (the signal the services stop gracefully on)")
    elif stop.strip().upper() not in ("SIGTERM", "TERM", "15"):
        f.add(rel, f"runtime STOPSIGNAL {stop.strip()}: the services stop gracefully on SIGTERM only")
    exposed = {int(p.split("/")[0]) for anc in chain(final) for _, i, a in anc.instr if i == "EXPOSE"
               for p in a.split()}
    want = {p for s, p in ports.items() if s != "redis"}
    if exposed != want:
        f.add(rel, f"runtime EXPOSE {sorted(exposed)} disagrees with common/rl_config.c's ports {sorted(want)}")


def check_healthcheck(repo, f):
    """The probe script uses --check when the binary offers it; says which mode the built binaries get."""
    rel = "deploy/healthcheck.sh"
    try:
        text = repo.read(rel)
    except OSError as e:
        f.add(rel, f"cannot read: {e}")
        return
    if not re.search(r'exec "\$bin" --check', text):
        f.add(rel, "does not run riskline-<service> --check when the binary offers it")
    for svc in SERVICES:
        if svc not in text:
            f.add(rel, f"does not know the service {svc}")
    build = os.environ.get("RISKLINE_BUILD", "build")
    for svc in SERVICES:
        b = repo.path(f"{build}/bin/riskline-{svc}")
        if not os.access(b, os.X_OK):
            continue
        try:
            out = subprocess.run([b, "--help"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError) as e:
            f.add(b, f"--help failed: {e}")
            continue
        mode = "--check" if "--check" in out else "port check (no --check in --help yet)"
        f.note(f"riskline-{svc}: probes use {mode}")


# ---------------------------------------------------------------- compose

def endpoint_port(value):
    m = re.match(r"^tcp://([^:]+):(\d+)$", str(value))
    return (m.group(1), int(m.group(2))) if m else (None, None)


def duration_s(v):
    """Seconds of a compose duration ("10s", "1m30s", "500ms", or a number of seconds), or None."""
    if isinstance(v, (int, float)):
        return float(v)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(v))
    if not parts or "".join(n + u for n, u in parts) != str(v).strip():
        return None
    unit = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}
    return sum(float(n) * unit[u] for n, u in parts)


def check_compose(repo, f):
    rel = "deploy/compose.yaml"
    try:
        doc = yaml.safe_load(repo.read(rel))
    except (OSError, yaml.YAMLError) as e:
        f.add(rel, f"not readable YAML: {e}")
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        f.add(rel, "no services")
        return
    services = doc["services"]
    volumes = set((doc.get("volumes") or {}).keys())
    ports = repo.ports()
    bins = repo.make_bins() or set()
    stages = {s.name: s for s in dockerfile_stages(repo.read("deploy/Dockerfile"))} \
        if os.path.exists(repo.path("deploy/Dockerfile")) else {}
    users = repo.acl_users()
    for name, svc in services.items():
        w = f"{rel}: services.{name}"
        if not isinstance(svc, dict):
            f.add(w, "not a mapping")
            continue
        build = svc.get("build")
        if isinstance(build, dict):
            df = os.path.normpath(os.path.join("deploy", build.get("context", "."), build.get("dockerfile", "Dockerfile")))
            if not os.path.exists(repo.path(df)):
                f.add(w, f"build.dockerfile {df} does not exist")
            if build.get("target") and build["target"] not in stages:
                f.add(w, f"build.target {build['target']} is not a stage of deploy/Dockerfile")
        image = str(svc.get("image", ""))
        if image.endswith(":latest") or (image and ":" not in image):
            f.add(w, f"image {image}: pin a tag, not latest")
        for v in svc.get("volumes") or []:
            src = v.get("source") if isinstance(v, dict) else str(v).split(":")[0]
            if src and not src.startswith((".", "/")) and src not in volumes:
                f.add(w, f"volume {src} is not declared under volumes:")
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env if "=" in e)
        if "RISKLINE_REDIS_PASSWORD" in env:
            f.add(w, "RISKLINE_REDIS_PASSWORD in the environment: use RISKLINE_REDIS_PASSWORD_FILE")
    for s in SERVICES:
        w = f"{rel}: services.{s}"
        svc = services.get(s)
        if not isinstance(svc, dict):
            f.add(rel, f"no service {s}")
            continue
        cmd = svc.get("command") or []
        cmd = cmd if isinstance(cmd, list) else shlex.split(cmd)
        if not cmd or cmd[0] != f"riskline-{s}":
            f.add(w, f"command must run riskline-{s}")
        elif bins and cmd[0] not in bins:
            f.add(w, f"command {cmd[0]} is not built by the Makefile")
        hc = svc.get("healthcheck")
        if not isinstance(hc, dict) or hc.get("disable") or not hc.get("test"):
            f.add(w, "no healthcheck")
        sig = str(svc.get("stop_signal", "SIGTERM")).upper()
        if sig not in ("SIGTERM", "TERM", "15"):
            f.add(w, f"stop_signal {sig}: the services stop gracefully on SIGTERM only")
        grace = duration_s(svc.get("stop_grace_period", "10s"))
        bound = repo.stop_bound_s()
        if grace is None:
            f.add(w, f"stop_grace_period {svc.get('stop_grace_period')!r} is not a duration")
        elif bound is not None and grace <= bound:
            f.add(w, f"stop_grace_period {grace:g}s does not exceed RL_STOP_BOUND_MS ({bound:g}s, "
                     f"common/rl_limits.h): a graceful stop would be SIGKILLed")
        if svc.get("restart") not in ("always", "unless-stopped", "on-failure"):
            f.add(w, f"restart policy {svc.get('restart')!r}: use unless-stopped, always or on-failure")
        deps = svc.get("depends_on")
        if not isinstance(deps, dict) or not deps:
            f.add(w, "depends_on must name its dependencies with conditions")
        else:
            for d, c in deps.items():
                if d not in services:
                    f.add(w, f"depends_on {d}: no such service")
                if not isinstance(c, dict) or not c.get("condition"):
                    f.add(w, f"depends_on {d}: no condition")
            if "redis" in services and (deps.get("redis") or {}).get("condition") != "service_healthy":
                f.add(w, "depends_on redis must wait for service_healthy")
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env if "=" in e)
        if env.get("RISKLINE_REDIS_USER") != s or (users and s not in users):
            f.add(w, f"RISKLINE_REDIS_USER must be {s}, its ACL user in deploy/redis/acl.sh")
        if not env.get("RISKLINE_REDIS_PASSWORD_FILE"):
            f.add(w, "no RISKLINE_REDIS_PASSWORD_FILE")
        if "redis" in ports and str(env.get("RISKLINE_REDIS_PORT", ports["redis"])) != str(ports["redis"]):
            f.add(w, f"RISKLINE_REDIS_PORT {env.get('RISKLINE_REDIS_PORT')} disagrees with the Redis port "
                     f"{ports['redis']} (common/rl_config.c, deploy/Dockerfile redis stage)")
        published = set()
        for p in svc.get("ports") or []:
            published.add(int(str(p).rsplit(":", 1)[-1].split("/")[0]))
        for key in [k for k in ports if k == s or k.startswith(s + "_")]:
            var = f"RISKLINE_{key.upper()}_ENDPOINT"
            host, port = endpoint_port(env.get(var, ""))
            if port is None:
                f.add(w, f"{var} not set to tcp://0.0.0.0:{ports[key]}")
                continue
            if host not in ("0.0.0.0", "*"):
                f.add(w, f"{var}={env[var]}: bind 0.0.0.0 inside the container")
            if port != ports[key]:
                f.add(w, f"{var} port {port} disagrees with common/rl_config.c ({ports[key]})")
            if published and port not in published:
                f.add(w, f"{var} port {port} is not among its published ports {sorted(published)}")
    redis = services.get("redis")
    if not isinstance(redis, dict):
        f.add(rel, "no redis service")
    else:
        target = (redis.get("build") or {}).get("target")
        st = stages.get(target)
        cmd = " ".join(a for _, i, a in st.instr if i == "CMD") if st else ""
        cmd = " ".join(redis.get("command")) if isinstance(redis.get("command"), list) else \
            (redis.get("command") or cmd)
        for need in ('"--appendonly", "yes"', '"--aclfile"'):
            plain = need.replace('"', "").replace(",", "")
            if need not in cmd and plain not in cmd:
                f.add(f"{rel}: services.redis", f"Redis runs without {plain} (AOF and ACL users)")
        m = re.search(r'"?--port"?,?\s+"?(\d+)', cmd)
        if "redis" in ports and (not m or int(m.group(1)) != ports["redis"]):
            f.add(f"{rel}: services.redis", f"Redis port {m.group(1) if m else '?'} disagrees with "
                                            f"common/rl_config.c ({ports['redis']})")
        hc = redis.get("healthcheck")
        if not isinstance(hc, dict) or hc.get("disable") or not hc.get("test"):
            f.add(f"{rel}: services.redis", "no healthcheck")


# ---------------------------------------------------------------- Kubernetes

def k8s_docs(repo):
    """[(file, doc)] of every manifest in deploy/k8s/ (kustomization and templates included)."""
    out = []
    d = repo.path("deploy/k8s")
    for name in sorted(os.listdir(d)):
        if not name.endswith((".yaml", ".yml")):
            continue
        rel = f"deploy/k8s/{name}"
        for doc in yaml.safe_load_all(repo.read(rel)):
            if doc is not None:
                out.append((rel, doc))
    return out


def selects(selector, labels):
    return bool(selector) and all((labels or {}).get(k) == v for k, v in selector.items())


def pod_spec(doc):
    return (((doc.get("spec") or {}).get("template") or {}).get("spec")) or {}


def pod_labels(doc):
    return ((((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")) or {}


def check_k8s(repo, f):
    try:
        docs = k8s_docs(repo)
    except (OSError, yaml.YAMLError) as e:
        f.add("deploy/k8s", f"not readable YAML: {e}")
        return
    ports = repo.ports()
    bins = repo.make_bins() or set()
    kust = next(((r, d) for r, d in docs if d.get("kind") == "Kustomization"), None)
    if not kust:
        f.add("deploy/k8s", "no kustomization.yaml")
        listed = set()
    else:
        listed = set(kust[1].get("resources") or [])
        for res in listed:
            if not os.path.exists(repo.path(f"deploy/k8s/{res}")):
                f.add(kust[0], f"resource {res} does not exist")
    manifests = [(r, d) for r, d in docs if d.get("kind") != "Kustomization"]
    for r in sorted({r for r, _ in manifests}):
        if os.path.basename(r) not in listed and not os.path.basename(r).endswith(".example.yaml"):
            f.add(r, "not listed in kustomization.yaml resources")
    applied = [(r, d) for r, d in manifests if not r.endswith(".example.yaml")]
    for r, d in manifests:
        md = d.get("metadata") or {}
        if not d.get("apiVersion") or not d.get("kind") or not md.get("name"):
            f.add(r, f"{d.get('kind', '?')} {md.get('name', '?')}: apiVersion, kind and metadata.name are required")
    workloads = [(r, d) for r, d in applied if d.get("kind") in WORKLOAD_KINDS]
    by_kind = lambda k: [(r, d) for r, d in applied if d.get("kind") == k]
    config = {d["metadata"]["name"]: d.get("data") or {} for _, d in by_kind("ConfigMap")}
    secrets = {d["metadata"]["name"] for _, d in manifests if d.get("kind") == "Secret"}
    for r, d in manifests:
        if d.get("kind") == "Secret":
            vals = list((d.get("stringData") or {}).values()) + list((d.get("data") or {}).values())
            if not r.endswith(".example.yaml") or any(not str(v).startswith("<") for v in vals):
                f.add(r, f"Secret {d['metadata']['name']}: only templates with <placeholders> are committed")
    images = {i.get("name") for i in (kust[1].get("images") or [])} if kust else set()

    for r, d in workloads:
        name = d["metadata"]["name"]
        w = f"{r}: {d['kind']} {name}"
        sel = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not sel:
            f.add(w, "no spec.selector.matchLabels")
        elif not selects(sel, pod_labels(d)):
            f.add(w, f"selector {sel} does not match the pod template labels {pod_labels(d)}")
        ps = pod_spec(d)
        psc = ps.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") in (None, 0):
            f.add(w, "pod securityContext must set runAsNonRoot: true and a non-zero runAsUser")
        for v in ps.get("volumes") or []:
            sn = (v.get("secret") or {}).get("secretName")
            if sn and sn not in secrets:
                f.add(w, f"volume {v.get('name')}: Secret {sn} is described nowhere (secrets.example.yaml)")
        containers = ps.get("containers") or []
        if not containers:
            f.add(w, "no containers")
        for c in (ps.get("initContainers") or []) + containers:
            cw = f"{w}: container {c.get('name')}"
            init = c in (ps.get("initContainers") or [])
            img = str(c.get("image", ""))
            if img.endswith(":latest") or (":" not in img and img not in images):
                f.add(cw, f"image {img}: pin a tag (or list it under images: in kustomization.yaml)")
            if not init:
                for probe in ("readinessProbe", "livenessProbe"):
                    if not c.get(probe):
                        f.add(cw, f"no {probe}")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                if not all(k in (res.get(part) or {}) for k in ("cpu", "memory")):
                    f.add(cw, f"resources.{part} must set cpu and memory")
            sc = c.get("securityContext") or {}
            if sc.get("readOnlyRootFilesystem") is not True or sc.get("allowPrivilegeEscalation") is not False:
                f.add(cw, "securityContext must set readOnlyRootFilesystem: true, allowPrivilegeEscalation: false")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                f.add(cw, "securityContext must drop ALL capabilities")
            for ef in c.get("envFrom") or []:
                cm = (ef.get("configMapRef") or {}).get("name")
                if cm and cm not in config:
                    f.add(cw, f"envFrom ConfigMap {cm} does not exist")
            for e in c.get("env") or []:
                if e.get("name") == "RISKLINE_REDIS_PASSWORD":
                    f.add(cw, "RISKLINE_REDIS_PASSWORD in env: use RISKLINE_REDIS_PASSWORD_FILE")
            cmd = c.get("command") or []
            svc = cmd[0][len("riskline-"):] if cmd and cmd[0].startswith("riskline-") else None
            if init or svc is None:
                continue
            if cmd[0] not in bins:
                f.add(cw, f"command {cmd[0]} is not built by the Makefile")
            grace = ps.get("terminationGracePeriodSeconds", 30)  # the Kubernetes default
            bound = repo.stop_bound_s()
            if bound is not None and not (isinstance(grace, (int, float)) and grace > bound):
                f.add(w, f"terminationGracePeriodSeconds {grace} does not exceed RL_STOP_BOUND_MS ({bound:g}s, "
                         f"common/rl_limits.h): a graceful stop would be SIGKILLed")
            env = {}
            for ef in c.get("envFrom") or []:
                env.update(config.get((ef.get("configMapRef") or {}).get("name"), {}))
            env.update({e["name"]: e.get("value") for e in c.get("env") or [] if "value" in e})
            cports = {p.get("containerPort") for p in c.get("ports") or []}
            for key in [k for k in ports if k == svc or k.startswith(svc + "_")]:
                var = f"RISKLINE_{key.upper()}_ENDPOINT"
                host, port = endpoint_port(env.get(var, ""))
                if port is None:
                    f.add(cw, f"{var} is not set (ConfigMap or env) to tcp://0.0.0.0:{ports[key]}")
                elif port != ports[key]:
                    f.add(cw, f"{var} port {port} disagrees with common/rl_config.c ({ports[key]})")
                if ports[key] not in cports:
                    f.add(cw, f"no containerPort {ports[key]} for {var} (common/rl_config.c); has {sorted(cports)}")
            if env.get("RISKLINE_REDIS_USER") != svc:
                f.add(cw, f"RISKLINE_REDIS_USER must be {svc}, its ACL user in deploy/redis/acl.sh")

    def selected(sel):
        return [(r, d) for r, d in workloads if selects(sel, pod_labels(d))]

    for r, d in by_kind("Service"):
        w = f"{r}: Service {d['metadata']['name']}"
        sel = (d.get("spec") or {}).get("selector") or {}
        pods = selected(sel)
        if not pods:
            f.add(w, f"selector {sel} matches no Deployment or StatefulSet pods")
            continue
        cps = [p for _, wd in pods for c in pod_spec(wd).get("containers") or [] for p in c.get("ports") or []]
        for sp in (d.get("spec") or {}).get("ports") or []:
            tp = sp.get("targetPort", sp.get("port"))
            match = [p for p in cps if p.get("name") == tp or p.get("containerPort") == tp]
            if not match:
                f.add(w, f"port {sp.get('port')}: targetPort {tp} is no containerPort of the selected pods")
            elif any(p.get("containerPort") != sp.get("port") for p in match):
                f.add(w, f"port {sp.get('port')} differs from the containerPort {match[0].get('containerPort')} "
                         f"it targets (clients use the configured port on both sides)")
    for r, d in by_kind("PodDisruptionBudget"):
        sel = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not selected(sel):
            f.add(f"{r}: PodDisruptionBudget {d['metadata']['name']}", f"selector {sel} matches no pods")
    for r, d in by_kind("HorizontalPodAutoscaler"):
        spec = d.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        w = f"{r}: HorizontalPodAutoscaler {d['metadata']['name']}"
        if not any(wd.get("kind") == ref.get("kind") and wd["metadata"]["name"] == ref.get("name")
                   for _, wd in workloads):
            f.add(w, f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} does not exist")
        if int(spec.get("minReplicas", 1)) > int(spec.get("maxReplicas", 0)):
            f.add(w, "minReplicas is above maxReplicas")
    if not any((d.get("spec") or {}).get("scaleTargetRef", {}).get("name") == "monitor"
               for _, d in by_kind("HorizontalPodAutoscaler")):
        f.add("deploy/k8s", "no HorizontalPodAutoscaler for the monitor")
    for r, d in by_kind("NetworkPolicy"):
        spec = d.get("spec") or {}
        w = f"{r}: NetworkPolicy {d['metadata']['name']}"
        sel = (spec.get("podSelector") or {}).get("matchLabels") or {}
        if sel and not selected(sel):
            f.add(w, f"podSelector {sel} selects no pods")
        targets = selected(sel) if sel else workloads
        tports = {p.get("containerPort") for _, wd in targets for c in pod_spec(wd).get("containers") or []
                  for p in c.get("ports") or []}
        for rule in spec.get("ingress") or []:
            for p in rule.get("ports") or []:
                if sel and p.get("port") not in tports:
                    f.add(w, f"ingress port {p.get('port')} is no containerPort of the pods it selects "
                             f"{sorted(tports)}")
        for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
            for peer in (rule.get("from") or []) + (rule.get("to") or []):
                ps = (peer.get("podSelector") or {}).get("matchLabels")
                if ps and "namespaceSelector" not in peer and not selected(ps):
                    f.add(w, f"peer podSelector {ps} selects no pods")
    for s in SERVICES:
        if not any(d.get("kind") == "Deployment" and any((c.get("command") or [None])[0] == f"riskline-{s}"
                                                          for c in pod_spec(d).get("containers") or [])
                   for _, d in workloads):
            f.add("deploy/k8s", f"no Deployment runs riskline-{s}")


def check_runtime_libs(repo, f):
    """The runtime stage installs the package of every shared library the built binaries need
    (readelf -d NEEDED, resolved with ldconfig -p, owned per dpkg -S); libc6's are in the base
    image. Skipped, with a note, when the binaries are not built or the tools are missing."""
    import shutil
    import subprocess
    rel = "deploy/Dockerfile"
    bindir = repo.path("build/bin")
    if not os.path.isdir(bindir) or not all(shutil.which(t) for t in ("readelf", "ldconfig", "dpkg")):
        f.note("binaries not built or readelf/ldconfig/dpkg missing: runtime libraries not compared")
        return
    stages = dockerfile_stages(repo.read(rel))
    runtime = next((s for s in stages if s.name == "runtime"), None)
    if runtime is None:
        f.add(rel, "no stage named runtime")
        return
    have = set()
    st = runtime
    while st:
        have |= {p for _, i, a in st.instr if i == "RUN" for p in apt_installs(a)}
        st = st.parent
    paths = {}
    for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and "x86-64" in m.group(2):
            paths.setdefault(m.group(1), m.group(3))
    for exe in sorted(os.listdir(bindir)):
        if not exe.startswith("riskline"):
            continue
        out = subprocess.run(["readelf", "-d", os.path.join(bindir, exe)], capture_output=True, text=True).stdout
        for so in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out):
            path = paths.get(so)
            if not path:
                f.add(f"build/bin/{exe}", f"needs {so}, which ldconfig does not know")
                continue
            owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True).stdout
            pkg = owner.split(":")[0].strip() if owner else ""
            if pkg and pkg != "libc6" and pkg not in have:
                f.add(f"{rel}:{runtime.lineno}", f"runtime stage lacks {pkg} ({so}, needed by {exe})")


CHECKS = [("dockerfile", check_dockerfile), ("healthcheck", check_healthcheck), ("compose", check_compose),
          ("kubernetes", check_k8s), ("runtime_libs", check_runtime_libs)]


def run_checks(root, notes=None):
    """{check name: [finding, ...]} for the repository at root; notes, if a dict, gets each check's notes."""
    repo = Repo(root)
    out = {}
    for name, fn in CHECKS:
        f = Findings()
        try:
            fn(repo, f)
        except Exception as e:  # a crash of a check is a finding, never a pass
            f.add(name, f"check crashed: {type(e).__name__}: {e}")
        out[name] = f.items
        if notes is not None:
            notes[name] = f.notes
    return out


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    notes = {}
    results = run_checks(root, notes)
    return report_cases("check_deploy", [(n, notes.get(n, []), items) for n, items in results.items()])


def report_cases(prog, cases):
    """Prints [(name, notes, failures)] the way cmocka does, so tests/run.sh counts the cases.
    Returns the exit status: 1 when any case has a failure."""
    print(f"[==========] Running {len(cases)} test(s).")
    failed = []
    for name, notes, items in cases:
        print(f"[ RUN      ] {name}")
        for n in notes:
            print(f"{prog}: note: {n}")
        for it in items:
            print(f"{prog}: {it}")
        if items:
            print(f"[  FAILED  ] {name}")
            failed.append(name)
        else:
            print(f"[       OK ] {name}")
    print(f"[==========] {len(cases)} test(s) run.")
    print(f"[  PASSED  ] {len(cases) - len(failed)} test(s).")
    if failed:
        print(f"[  FAILED  ] {len(failed)} test(s), listed below:")
        for n in failed:
            print(f"[  FAILED  ] {n}")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
