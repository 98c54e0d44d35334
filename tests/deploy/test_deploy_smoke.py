#!/usr/bin/env python3
"""test_deploy_smoke.py: runs what the containers run, without Docker: deploy/init-secrets.sh makes the
keys and Redis users, redis-server starts with the Dockerfile redis stage's own CMD, each service
starts with its deploy/compose.yaml environment and only its own secrets sub-directory, the probe
(deploy/healthcheck.sh) and the compose `cli` (bootstrap admin) must then work, all on loopback
ports chosen free. Run by `make test` via tests/run.sh (cmocka-style output).
"""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_deploy  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.path.join(ROOT, os.environ.get("RISKLINE_BUILD", "build"), "bin")
SERVICES = check_deploy.SERVICES
MOUNT = "/run/riskline"  # where compose mounts each container's secrets sub-directory


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, seconds=15.0):
    end = time.monotonic() + seconds
    while True:
        ok = fn()
        if ok or time.monotonic() > end:
            return ok
        time.sleep(0.1)


class Smoke:
    def __init__(self, tmp):
        self.tmp = tmp
        self.secrets = os.path.join(tmp, "secrets")
        self.procs = []
        self.compose = check_deploy.yaml.safe_load(open(os.path.join(ROOT, "deploy/compose.yaml")))
        ports = check_deploy.Repo(ROOT).ports()
        self.port_map = {p: free_port() for p in ports.values()}  # configured port -> test port
        self.env_base = {"PATH": BIN + os.pathsep + os.environ.get("PATH", "")}

    def local(self, value, subdir):
        """A compose value as it must be outside a container: mount path, host names, ports."""
        v = str(value).replace(MOUNT, os.path.join(self.secrets, subdir))
        v = re.sub(r"tcp://[^:/]+:(\d+)", lambda m: f"tcp://127.0.0.1:{self.port_map.get(int(m.group(1)), m.group(1))}", v)
        return v

    def service_env(self, name, subdir):
        env = dict(self.env_base)
        for k, v in (self.compose["services"][name].get("environment") or {}).items():
            env[k] = self.local(v, subdir)
        if "RISKLINE_REDIS_HOST" in env:
            env["RISKLINE_REDIS_HOST"] = "127.0.0.1"
            env["RISKLINE_REDIS_PORT"] = str(self.port_map[int(env["RISKLINE_REDIS_PORT"])])
        return env

    def start(self, argv, env, log):
        p = subprocess.Popen(argv, env=env, stdout=open(os.path.join(self.tmp, log), "w"),
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def log(self, name):
        try:
            return open(os.path.join(self.tmp, name)).read()[-800:]
        except OSError:
            return ""

    # ------------------------------------------------------------ cases: each returns None or an error

    def secrets_layout(self):
        r = subprocess.run([os.path.join(ROOT, "deploy/init-secrets.sh"), self.secrets], capture_output=True, text=True,
                           env={**self.env_base, "RISKLINE_CLI": os.path.join(BIN, "riskline")}, timeout=60)
        if r.returncode != 0:
            return f"init-secrets.sh exited {r.returncode}: {r.stderr.strip()}"
        want = {s: {f"{s}.key", "redis.password", "cli.pub"} for s in SERVICES}
        want.update(redis={"users.acl", "redis-ops.password"}, cli={"cli.key", "register.pub", "report.pub"})
        for d, files in want.items():
            have = set(os.listdir(os.path.join(self.secrets, d)))
            if not files <= have:
                return f"{d}/ lacks {sorted(files - have)} (has {sorted(have)})"
            if d in SERVICES and any(f.endswith(".key") and f != f"{d}.key" for f in have):
                return f"{d}/ holds another consumer's secret key: {sorted(have)}"
        for top, dirs, files in os.walk(self.secrets):
            if stat.S_IMODE(os.stat(top).st_mode) != 0o700:
                return f"{top} is mode {oct(stat.S_IMODE(os.stat(top).st_mode))}, not 0700"
            for f in files:
                m = stat.S_IMODE(os.stat(os.path.join(top, f)).st_mode)
                if m & 0o077 and f.endswith((".key", ".password", ".acl")):
                    return f"{os.path.join(top, f)} is mode {oct(m)}: group or others may read it"
        # idempotent: a second run keeps every key and password
        before = {f: open(os.path.join(self.secrets, "register", f)).read() for f in ("register.key", "redis.password")}
        subprocess.run([os.path.join(ROOT, "deploy/init-secrets.sh"), self.secrets], capture_output=True,
                       env={**self.env_base, "RISKLINE_CLI": os.path.join(BIN, "riskline")}, timeout=60, check=True)
        after = {f: open(os.path.join(self.secrets, "register", f)).read() for f in before}
        return None if before == after else "a second init-secrets.sh run changed the register's key or password"

    def redis_starts(self):
        stages = {s.name: s for s in check_deploy.dockerfile_stages(open(os.path.join(ROOT, "deploy/Dockerfile")).read())}
        cmd = json.loads(next(a for _, i, a in stages["redis"].instr if i == "CMD"))
        os.makedirs(os.path.join(self.tmp, "data"))
        cmd = [self.local(c, "redis").replace("/data", os.path.join(self.tmp, "data")) for c in cmd]
        cmd[cmd.index("--port") + 1] = str(self.port_map[int(cmd[cmd.index("--port") + 1])])
        cmd[cmd.index("--bind") + 1] = "127.0.0.1"  # a test never listens beyond loopback
        self.redis_port = cmd[cmd.index("--port") + 1]
        self.start(cmd, self.env_base, "redis.log")
        # the compose health check, as written there, with this test's paths and port
        test = self.compose["services"]["redis"]["healthcheck"]["test"][1].replace("$$", "$")
        test = self.local(test, "redis").replace("-p 7100", f"-p {self.redis_port}")
        ok = wait_for(lambda: subprocess.run(["sh", "-c", test], capture_output=True).returncode == 0)
        return None if ok else f"Redis did not pass the compose health check: {self.log('redis.log')}"

    def services_start(self):
        for s in SERVICES:
            argv = self.compose["services"][s]["command"]
            self.start([os.path.join(BIN, argv[0])] + argv[1:], self.service_env(s, s), f"{s}.log")
        for s in SERVICES:
            env = self.service_env(s, s)
            probe = lambda: subprocess.run([os.path.join(ROOT, "deploy/healthcheck.sh"), s], env=env,
                                           capture_output=True).returncode == 0
            if not wait_for(probe):
                return f"riskline-healthcheck {s} did not pass: {self.log(s + '.log')}"
        return None

    def cli_reaches_services(self):
        env = self.service_env("cli", "cli")
        r = subprocess.run([os.path.join(BIN, "riskline"), "ping"], env=env, capture_output=True, text=True, timeout=30)
        if r.returncode != 0 or "principal:  local-admin" not in r.stdout:
            return f"riskline ping: exit {r.returncode}: {r.stdout}{r.stderr}"
        r = subprocess.run([os.path.join(BIN, "riskline"), "risk", "add", "--title", "Container smoke", "--owner",
                            "alice", "--likelihood", "2", "--impact", "3"], env=env, capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0 or "R-1 created" not in r.stdout:
            return f"riskline risk add: exit {r.returncode}: {r.stdout}{r.stderr}"
        r = subprocess.run([os.path.join(BIN, "riskline"), "risk", "list"], env=env, capture_output=True, text=True,
                           timeout=30)
        return None if "Container smoke" in r.stdout else f"risk list: {r.stdout}{r.stderr}"

    def probe_fails_when_down(self):
        p = self.procs[1 + SERVICES.index("treatment")]
        p.send_signal(signal.SIGTERM)
        p.wait(10)
        r = subprocess.run([os.path.join(ROOT, "deploy/healthcheck.sh"), "treatment"],
                           env=self.service_env("treatment", "treatment"), capture_output=True, text=True)
        said = (r.stdout + r.stderr).strip()
        # the port fallback says the port is not listened on; --check (when the binary has it)
        # says in one line that the service did not answer
        if r.returncode != 1 or not said:
            return f"probe of a stopped treatment: exit {r.returncode}, {said!r}"
        return None


def main():
    tmp = tempfile.mkdtemp(prefix="rl-deploy-smoke-")
    smoke = Smoke(tmp)
    cases = ["secrets_layout", "redis_starts", "services_start", "cli_reaches_services", "probe_fails_when_down"]
    results, broken = [], None
    try:
        for name in cases:
            if broken:
                results.append((name, [], [f"{name}: not run: {broken} failed first"]))
                continue
            try:
                err = getattr(smoke, name)()
            except Exception as e:  # a crash is a failure with its cause, never a pass
                err = f"{type(e).__name__}: {e}"
            results.append((name, [], [f"{name}: {err}"] if err else []))
            broken = name if err else None
    finally:
        smoke.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return check_deploy.report_cases("test_deploy_smoke", results)


if __name__ == "__main__":
    sys.exit(main())
