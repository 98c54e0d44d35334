# Riskline: one Makefile builds everything into build/ (binaries in build/bin/).
# Targets: deps all run test san bench clean (see README "Build and test").

BUILD   ?= build
CC      ?= cc
VERSION := 0.1.0
PKGS    := libzmq libprotobuf-c hiredis libcjson libsodium libmicrohttpd
SHELL   := /bin/bash

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
OPT     ?= -O2 -g
SANFLAGS ?=
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS := -D_DEFAULT_SOURCE -DRL_VERSION='"$(VERSION)"' -Icommon -I$(BUILD)/gen
CFLAGS  := -std=c11 $(WARN) $(OPT) $(SANFLAGS) $(CPPFLAGS)
LDFLAGS := $(SANFLAGS)
LDLIBS   = $(PKG_LIBS) -lm -pthread

PROTOS    := $(wildcard proto/riskline/v1/*.proto)
GEN_C     := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H     := $(GEN_C:.c=.h)
COMMON_C  := $(wildcard common/*.c)
LIB_OBJ   := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_C)) $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C))
LIB       := $(BUILD)/lib/libriskline.a

REGISTER_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard services/register/*.c))
# A service is built once it has a main.c; its other modules may land first (domain rules).
SERVICE_NAMES := $(patsubst services/%/main.c,%,$(wildcard services/*/main.c))
SERVICE_OBJ   := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard services/*/*.c))
CLI_OBJ      := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard cli/*.c))
BINS := $(SERVICE_NAMES:%=$(BUILD)/bin/riskline-%) $(BUILD)/bin/riskline

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(INTEG_SRC))
HARNESS_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/integration/harness*.c))
# domain modules that unit tests link without I/O
DOMAIN_OBJ := $(filter-out %/main.o %/handlers.o %_store.o %_handler.o %_consumer.o,$(SERVICE_OBJ))
BENCH_BINS := $(BUILD)/bench/bench $(BUILD)/bench/baseline $(BUILD)/bench/bench_treatment $(BUILD)/bench/bench_monitor \
              $(BUILD)/bench/bench_report \
              $(BUILD)/bench/bench_reports

.PHONY: all deps run test test-only test-cluster san bench clean clang build-tests check-deploy
.SECONDARY:

all: $(BINS)

deps:
	@deploy/deps.sh

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto $(PROTOS)
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-unused-parameter $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iservices/register -Iservices/treatment -Iservices/monitor -Iservices/report $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

# riskline-<service>: every object of services/<service>/ and the library
define service_bin
$$(BUILD)/bin/riskline-$(1): $$(patsubst %.c,$$(BUILD)/obj/%.o,$$(wildcard services/$(1)/*.c)) $$(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(LIB) $$(LDLIBS)
endef
$(foreach s,$(SERVICE_NAMES),$(eval $(call service_bin,$(s))))
# the report reads the register's and treatment's entities through their stores' read functions and
# derives levels and the SoA with their pure rules (it writes none of their keys)
REPORT_READS_OBJ := $(patsubst %,$(BUILD)/obj/services/%.o,register/risk register/risk_store treatment/plan \
    treatment/plan_store treatment/catalogue monitor/measure)
$(BUILD)/bin/riskline-report: $(REPORT_READS_OBJ)

$(BUILD)/bin/riskline: $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(DOMAIN_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# the CLI's treatment option parsers, unit-tested on their own (no domain modules)
$(BUILD)/tests/test_cli_treatment: $(BUILD)/obj/tests/unit/test_cli_treatment.o $(BUILD)/obj/cli/cli_parse_treatment.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/obj/tests/unit/test_cli_treatment.o: CFLAGS += -Icli
# the rules of `riskline watch` (gap and duplicate decisions), on their own
$(BUILD)/tests/test_watch_seq: $(BUILD)/obj/tests/unit/test_watch_seq.o $(BUILD)/obj/cli/cli_watch_seq.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(BUILD)/obj/tests/unit/test_watch_seq.o: CFLAGS += -Icli
# the demo's example organisation, checked against the services' domain rules
$(BUILD)/tests/test_demo_data: $(BUILD)/obj/cli/cli_demo_data.o
$(BUILD)/obj/tests/unit/test_demo_data.o: CFLAGS += -Icli
# the monitor's domain rules (services/monitor/event.h)
$(BUILD)/obj/tests/unit/test_event.o: CFLAGS += -Iservices/monitor

$(BUILD)/tests/test_integ_%: $(BUILD)/obj/tests/integration/test_integ_%.o $(HARNESS_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS) -lpthread
# the bench programs share their process, Redis and socket helpers
$(BUILD)/bench/bench $(BUILD)/bench/bench_treatment $(BUILD)/bench/bench_monitor $(BUILD)/bench/bench_report $(BUILD)/bench/bench_reports: \
    $(BUILD)/obj/tests/bench/bench_util.o
# bench_monitor's floors (what a batch's round trip costs at least)
$(BUILD)/bench/bench_monitor: $(BUILD)/obj/tests/bench/bench_floor.o

run: deps
	@$(MAKE) --no-print-directory all
	@deploy/run.sh

test: deps
	@$(MAKE) --no-print-directory clang
	@$(MAKE) --no-print-directory test-only

# Static checks of the deployment files (deploy/Dockerfile, compose, k8s) and of that checker;
# then what the containers run, run without Docker (init-secrets, Redis's CMD, the compose env).
DEPLOY_CHECKS := tests/deploy/check_deploy.py tests/deploy/test_check_deploy.py tests/deploy/test_deploy_smoke.py

# Build and run every test against the binaries of $(BUILD).
test-only: $(BINS) $(UNIT_BINS) $(INTEG_BINS)
	@RISKLINE_BUILD=$(BUILD) tests/run.sh $(UNIT_BINS) $(INTEG_BINS) $(DEPLOY_CHECKS)

# The integration tests again, each on a Redis Cluster of three masters that the harness makes
# (RISKLINE_TEST_REDIS=cluster; README "Redis Cluster"). Not test_integ_redis_acl (raw commands
# against one server), test_integ_sentinel (its own topology) and test_integ_cluster (a cluster
# already, in test-only).
CLUSTER_INTEG_BINS := $(filter-out %/test_integ_redis_acl %/test_integ_sentinel %/test_integ_cluster,$(INTEG_BINS))
test-cluster: $(BINS) $(INTEG_BINS)
	@RISKLINE_TEST_REDIS=cluster RISKLINE_BUILD=$(BUILD) tests/run.sh $(CLUSTER_INTEG_BINS)

# The deployment checks alone (python3 with PyYAML; no Docker engine or cluster).
check-deploy: $(BINS)
	@RISKLINE_BUILD=$(BUILD) tests/run.sh $(DEPLOY_CHECKS)

# The same code, tests included, must build warning-free with clang too.
clang:
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang all build-tests

build-tests: $(UNIT_BINS) $(INTEG_BINS)

san: deps
	@$(MAKE) --no-print-directory BUILD=build/san CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" test-only

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/bin/riskline-register $(BUILD)/bin/riskline-treatment \
	    $(BUILD)/bin/riskline-monitor $(BUILD)/bin/riskline-report $(BUILD)/bin/riskline $(BENCH_BINS)
	@RISKLINE_BUILD=$(BUILD) $(BUILD)/bench/bench
	@RISKLINE_BUILD=$(BUILD) $(BUILD)/bench/bench_treatment
	@RISKLINE_BUILD=$(BUILD) $(BUILD)/bench/bench_monitor
	@RISKLINE_BUILD=$(BUILD) $(BUILD)/bench/bench_report
	@RISKLINE_BUILD=$(BUILD) $(BUILD)/bench/bench_reports

# --- fuzzing (docs/FUZZING.md): libFuzzer targets tests/fuzz/fuzz_*.c, clang, ASan + UBSan ---
# `make fuzz` builds them into $(FUZZ_BUILD) and runs each for FUZZ_SECONDS from the seeds in
# tests/fuzz/corpus/<name>; a crash is saved under $(FUZZ_BUILD)/crashes and make fails.
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 4096
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_HELPER_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/fuzz/fz_*.c))

.PHONY: fuzz fuzz-build
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_MAX_LEN=$(FUZZ_MAX_LEN) tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-build: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

$(BUILD)/obj/tests/fuzz/%.o: CFLAGS += -Icli
$(BUILD)/obj/tests/fuzz/fuzz_codec.o: $(BUILD)/gen/fuzz_descriptors.inc
$(BUILD)/gen/fuzz_descriptors.inc: $(GEN_H)
	sed -n 's/^extern const ProtobufCMessageDescriptor *\(.*\);$$/\&\1,/p' $(GEN_H) >$@
# what each target links besides common: a service's objects (its main excluded) or the CLI's
$(BUILD)/fuzz/fuzz_envelope_register: $(filter-out %/main.o,$(REGISTER_OBJ))
$(BUILD)/fuzz/fuzz_envelope_treatment: $(filter-out %/main.o,$(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard services/treatment/*.c)))
$(BUILD)/obj/tests/fuzz/fuzz_envelope_treatment.o: CFLAGS += -Iservices/treatment
$(BUILD)/fuzz/fuzz_envelope_monitor: $(filter-out %/main.o,$(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard services/monitor/*.c)))
$(BUILD)/obj/tests/fuzz/fuzz_envelope_monitor.o: CFLAGS += -Iservices/monitor
$(BUILD)/fuzz/fuzz_envelope_report: $(filter-out %/main.o,$(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard services/report/*.c))) \
    $(REPORT_READS_OBJ)
$(BUILD)/obj/tests/fuzz/fuzz_envelope_report.o: CFLAGS += -Iservices/report
$(BUILD)/fuzz/fuzz_cli_args: $(filter-out %/main.o,$(CLI_OBJ))
$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_HELPER_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
