#!/usr/bin/env python3
"""test_check_deploy.py: the deployment checker must be able to fail. Each case copies the files the
checker reads into a temporary tree, breaks one thing, and asserts that the checker reports exactly
that, with a message naming it; the unbroken copy must pass. Run by `make test` via tests/run.sh
(cmocka-style output, so its cases are counted).
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_deploy  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# What the checker reads: the deployment files and the sources of truth behind them.
COPY = ["Makefile", ".dockerignore", "common", "services", "cli", "proto", "deploy"]

DEPLOY_SELECTOR = ("  selector:\n    matchLabels:\n      app.kubernetes.io/name: riskline\n"
                   "      app.kubernetes.io/component: {c}\n  template:")
PDB_SELECTOR = ("  minAvailable: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: riskline\n"
                "      app.kubernetes.io/component: redis\n")
REAL_SECRET = ("\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\n"
               "data:\n  redis.password: c2VjcmV0Cg==\n")

# (name, [(file, old, new)], expected text in some finding)
CASES = [
    ("k8s_selector_mismatch",
     [("deploy/k8s/register.yaml", DEPLOY_SELECTOR.format(c="register"), DEPLOY_SELECTOR.format(c="registr"))],
     "Deployment register: selector {'app.kubernetes.io/name': 'riskline', 'app.kubernetes.io/component': "
     "'registr'} does not match the pod template labels"),
    ("k8s_missing_readiness_probe",
     [("deploy/k8s/treatment.yaml", "          readinessProbe:\n", "          readinessProbeX:\n")],
     "Deployment treatment: container treatment: no readinessProbe"),
    ("k8s_missing_liveness_probe",
     [("deploy/k8s/report.yaml", "          livenessProbe:\n", "          livenessProbeX:\n")],
     "Deployment report: container report: no livenessProbe"),
    ("k8s_container_port_disagrees",
     [("deploy/k8s/monitor.yaml", "containerPort: 7103", "containerPort: 7199")],
     "container monitor: no containerPort 7103 for RISKLINE_MONITOR_ENDPOINT (common/rl_config.c); has [7199]"),
    ("k8s_service_port_differs_from_target",
     [("deploy/k8s/monitor.yaml", "containerPort: 7103", "containerPort: 7199")],
     "Service monitor: port 7103 differs from the containerPort 7199"),
    ("k8s_configmap_endpoint_disagrees",
     [("deploy/k8s/configmap.yaml", "RISKLINE_REPORT_PUB_ENDPOINT: tcp://0.0.0.0:7105",
       "RISKLINE_REPORT_PUB_ENDPOINT: tcp://0.0.0.0:7106")],
     "RISKLINE_REPORT_PUB_ENDPOINT port 7106 disagrees with common/rl_config.c (7105)"),
    ("k8s_service_selects_nothing",
     [("deploy/k8s/report.yaml", "    app.kubernetes.io/component: report\n  ports:\n    - name: pub",
       "    app.kubernetes.io/component: reports\n  ports:\n    - name: pub")],
     "Service report-pub: selector {'app.kubernetes.io/name': 'riskline', 'app.kubernetes.io/component': "
     "'reports'} matches no Deployment or StatefulSet pods"),
    ("k8s_pdb_selects_nothing",
     [("deploy/k8s/redis.yaml", PDB_SELECTOR, PDB_SELECTOR.replace("component: redis", "component: rediss"))],
     "PodDisruptionBudget redis: selector"),
    ("k8s_hpa_target_missing",
     [("deploy/k8s/monitor.yaml", "    kind: Deployment\n    name: monitor\n", "    kind: Deployment\n    name: monitr\n")],
     "HorizontalPodAutoscaler monitor: scaleTargetRef Deployment/monitr does not exist"),
    ("k8s_networkpolicy_selects_nothing",
     [("deploy/k8s/networkpolicy.yaml", "  name: register-ingress\n  labels:\n    app.kubernetes.io/part-of: riskline\n"
       "spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: riskline\n"
       "      app.kubernetes.io/component: register\n",
       "  name: register-ingress\n  labels:\n    app.kubernetes.io/part-of: riskline\n"
       "spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: riskline\n"
       "      app.kubernetes.io/component: registers\n")],
     "NetworkPolicy register-ingress: podSelector {'app.kubernetes.io/name': 'riskline', "
     "'app.kubernetes.io/component': 'registers'} selects no pods"),
    ("k8s_networkpolicy_port_disagrees",
     [("deploy/k8s/networkpolicy.yaml", "        - {protocol: TCP, port: 7102}", "        - {protocol: TCP, port: 7120}")],
     "NetworkPolicy treatment-ingress: ingress port 7120 is no containerPort of the pods it selects"),
    ("k8s_missing_limits",
     [("deploy/k8s/register.yaml", '            limits: {cpu: "1", memory: 256Mi}\n', "")],
     "container register: resources.limits must set cpu and memory"),
    ("k8s_writable_root",
     [("deploy/k8s/register.yaml", "            readOnlyRootFilesystem: true\n            capabilities:\n"
       "              drop: [ALL]\n          volumeMounts:\n            - {name: keys, mountPath: /run/riskline, readOnly: true}",
       "            readOnlyRootFilesystem: false\n            capabilities:\n"
       "              drop: [ALL]\n          volumeMounts:\n            - {name: keys, mountPath: /run/riskline, readOnly: true}")],
     "container register: securityContext must set readOnlyRootFilesystem: true"),
    ("k8s_secret_with_data",
     [("deploy/k8s/configmap.yaml", "RISKLINE_REPORT_PUB_ENDPOINT: tcp://0.0.0.0:7105\n",
       "RISKLINE_REPORT_PUB_ENDPOINT: tcp://0.0.0.0:7105\n" + REAL_SECRET)],
     "Secret leaked: only templates with <placeholders> are committed"),
    ("k8s_unlisted_manifest",
     [("deploy/k8s/kustomization.yaml", "  - networkpolicy.yaml\n", "")],
     "deploy/k8s/networkpolicy.yaml: not listed in kustomization.yaml resources"),
    ("config_default_moves",
     [("common/rl_config.c", '"tcp://127.0.0.1:7102"', '"tcp://127.0.0.1:7202"')],
     "services.treatment: RISKLINE_TREATMENT_ENDPOINT port 7102 disagrees with common/rl_config.c (7202)"),
    ("docker_latest_tag",
     [("deploy/Dockerfile", "FROM debian:12-slim AS build", "FROM debian:latest AS build")],
     "FROM debian:latest: 'latest' is not a pinned tag"),
    ("docker_untagged_base",
     [("deploy/Dockerfile", "FROM debian:12-slim AS base", "FROM debian AS base")],
     "FROM debian: pin a tag"),
    ("docker_build_tool_in_runtime",
     [("deploy/Dockerfile", "      libzmq5 libprotobuf-c1", "      gcc libzmq5 libprotobuf-c1")],
     "stage runtime installs the build tool gcc (build stages only)"),
    ("docker_dev_package_in_base",
     [("deploy/Dockerfile", "RUN groupadd --system", "RUN apt-get update && apt-get install -y --no-install-recommends "
       "libzmq3-dev && rm -rf /var/lib/apt/lists/* \\\n && groupadd --system")],
     "stage base installs the build tool libzmq3-dev (build stages only)"),
    ("docker_compiler_in_runtime",
     [("deploy/Dockerfile", "RUN install -d -o 10001", "RUN cc -o /tmp/x /dev/null; install -d -o 10001")],
     "stage runtime runs a compiler or make (build stages only)"),
    ("docker_healthcheck_not_copied",
     [("deploy/Dockerfile", 'CMD ["riskline-healthcheck"]', 'CMD ["riskline-probe"]')],
     "HEALTHCHECK runs riskline-probe, which stage runtime does not copy into /usr/local/bin"),
    ("docker_copies_unbuilt_binary",
     [("deploy/Dockerfile", "/src/build/bin/riskline-report ", "/src/build/bin/riskline-reports ")],
     "COPY /src/build/bin/riskline-reports: the Makefile builds no binary riskline-reports"),
    ("docker_binary_no_longer_built",
     [("services/report/main.c", None, None)],
     "COPY /src/build/bin/riskline-report: the Makefile builds no binary riskline-report"),
    ("docker_runs_as_root",
     [("deploy/Dockerfile", "USER 10001:10001\nWORKDIR /var/lib/riskline", "USER root\nWORKDIR /var/lib/riskline")],
     "stage runtime runs as USER root: use the non-root uid"),
    ("docker_no_healthcheck",
     [("deploy/Dockerfile", 'HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["riskline-healthcheck"]\n', "")],
     "stage runtime has no HEALTHCHECK"),
    ("docker_copy_missing_file",
     [("deploy/Dockerfile", "COPY --chown=root:root deploy/healthcheck.sh", "COPY --chown=root:root deploy/health.sh")],
     "COPY deploy/health.sh: no such file in the repository"),
    ("docker_copy_without_chown",
     [("deploy/Dockerfile", "COPY --chown=root:root deploy/healthcheck.sh", "COPY deploy/healthcheck.sh")],
     "COPY into an image stage without --chown (deploy/healthcheck.sh)"),
    ("docker_add_local_file",
     [("deploy/Dockerfile", "COPY --chown=root:root deploy/redis/acl.sh", "ADD --chown=root:root deploy/redis/acl.sh")],
     "ADD: use COPY for local files"),
    ("docker_apt_recommends",
     [("deploy/Dockerfile", " && apt-get install -y --no-install-recommends \\\n      libzmq5",
       " && apt-get install -y \\\n      libzmq5")],
     "apt-get install without --no-install-recommends"),
    ("docker_apt_lists_kept",
     [("deploy/Dockerfile", "libsodium23 libmicrohttpd12 \\\n && rm -rf /var/lib/apt/lists/*", "libsodium23 libmicrohttpd12")],
     "apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN"),
    ("docker_shell_form_cmd",
     [("deploy/Dockerfile", 'CMD ["riskline", "--help"]', "CMD riskline --help")],
     "CMD in shell form: use the JSON form, so SIGTERM reaches the service"),
    ("docker_relative_workdir",
     [("deploy/Dockerfile", "WORKDIR /src", "WORKDIR src")],
     "WORKDIR src: use an absolute path"),
    ("docker_pipe_without_pipefail",
     [("deploy/Dockerfile", 'RUN make -j"$(nproc)" all', 'RUN make -j"$(nproc)" all | tee /tmp/build.log')],
     "RUN with a pipe but no SHELL"),
    ("dockerignore_hides_copied_file",
     [(".dockerignore", "!deploy/healthcheck.sh\n", "")],
     "COPY deploy/healthcheck.sh: excluded from the build context by .dockerignore"),
    ("deps_new_build_package",
     [("deploy/deps.sh", "libsodium-dev", "libsodium-dev libfoo-dev")],
     "build stage build does not install libfoo-dev (deploy/deps.sh)"),
    ("k8s_grace_period_within_stop_bound",
     [("deploy/k8s/treatment.yaml", "terminationGracePeriodSeconds: 15", "terminationGracePeriodSeconds: 5")],
     "Deployment treatment: terminationGracePeriodSeconds 5 does not exceed RL_STOP_BOUND_MS (5s"),
    ("compose_grace_period_within_stop_bound",
     [("deploy/compose.yaml", "  stop_grace_period: 10s\n", "  stop_grace_period: 4s\n")],
     "services.register: stop_grace_period 4s does not exceed RL_STOP_BOUND_MS (5s"),
    ("compose_stop_signal_not_sigterm",
     [("deploy/compose.yaml", "  stop_signal: SIGTERM\n", "  stop_signal: SIGKILL\n")],
     "services.monitor: stop_signal SIGKILL: the services stop gracefully on SIGTERM only"),
    ("dockerfile_stopsignal_not_sigterm",
     [("deploy/Dockerfile", "STOPSIGNAL SIGTERM", "STOPSIGNAL SIGINT")],
     "runtime STOPSIGNAL SIGINT: the services stop gracefully on SIGTERM only"),
    ("compose_missing_healthcheck",
     [("deploy/compose.yaml", '      - "127.0.0.1:7103:7103"\n    healthcheck: *health\n', '      - "127.0.0.1:7103:7103"\n')],
     "services.monitor: no healthcheck"),
    ("compose_endpoint_port_disagrees",
     [("deploy/compose.yaml", "RISKLINE_TREATMENT_ENDPOINT: tcp://0.0.0.0:7102", "RISKLINE_TREATMENT_ENDPOINT: tcp://0.0.0.0:7112")],
     "services.treatment: RISKLINE_TREATMENT_ENDPOINT port 7112 disagrees with common/rl_config.c (7102)"),
    ("compose_endpoint_loopback",
     [("deploy/compose.yaml", "RISKLINE_REGISTER_ENDPOINT: tcp://0.0.0.0:7101", "RISKLINE_REGISTER_ENDPOINT: tcp://127.0.0.1:7101")],
     "RISKLINE_REGISTER_ENDPOINT=tcp://127.0.0.1:7101: bind 0.0.0.0 inside the container"),
    ("compose_no_restart",
     [("deploy/compose.yaml", "  <<: *image\n  restart: unless-stopped\n", "  <<: *image\n  restart: \"no\"\n")],
     "services.register: restart policy 'no'"),
    ("compose_redis_not_awaited",
     [("deploy/compose.yaml", "    redis:\n      condition: service_healthy", "    redis:\n      condition: service_started")],
     "services.report: depends_on redis must wait for service_healthy"),
    ("compose_wrong_redis_user",
     [("deploy/compose.yaml", "RISKLINE_REDIS_USER: monitor", "RISKLINE_REDIS_USER: ops")],
     "services.monitor: RISKLINE_REDIS_USER must be monitor"),
    ("compose_redis_without_aof",
     [("deploy/Dockerfile", '"--appendonly", "yes", ', "")],
     "services.redis: Redis runs without --appendonly yes"),
]


def copy_tree(dst):
    os.makedirs(dst)
    for rel in COPY:
        src = os.path.join(ROOT, rel)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dst, rel))
        else:
            shutil.copy2(src, os.path.join(dst, rel))


def mutate(tree, rel, old, new):
    """Applies one edit; None/None deletes the file. Returns an error text, or None."""
    path = os.path.join(tree, rel)
    if old is None:
        os.remove(path)
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if old not in text:
        return f"the edit of {rel} did not apply: {old[:60]!r} not found"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new, 1))
    return None


def findings_of(tree):
    return [it for items in check_deploy.run_checks(tree).values() for it in items]


def main():
    results = []
    base = tempfile.mkdtemp(prefix="rl-check-deploy-")
    try:
        clean = os.path.join(base, "clean")
        copy_tree(clean)
        got = findings_of(clean)
        results.append(("clean_copy_passes", None if not got else "the unbroken copy has findings: " + "; ".join(got)))
        for i, (name, edits, expect) in enumerate(CASES):
            tree = os.path.join(base, f"case{i}")
            shutil.copytree(clean, tree)
            err = next((e for e in (mutate(tree, *ed) for ed in edits) if e), None)
            if not err:
                got = findings_of(tree)
                if not any(expect in it for it in got):
                    err = f"expected a finding containing {expect!r}; got: " + ("; ".join(got) or "none")
            results.append((name, err))
            shutil.rmtree(tree, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return check_deploy.report_cases("test_check_deploy",
                                     [(name, [], [f"{name}: {err}"] if err else []) for name, err in results])

if __name__ == "__main__":
    sys.exit(main())
