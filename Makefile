# The two commands: `make synth` and `make test`. On a machine with only Go and Node.js
# they install what they need first, each step only when it is missing: Node 24 (when the
# machine's Node is older than 22), the npm packages of package-lock.json, and for the
# tests Debian's Chromium. Everything then runs offline: no AWS account, no Docker.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export GOFLAGS ?= -mod=readonly
GO_FILES = $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './cdk.out/*' -not -path './.git/*')

# jsii and the CDK CLI support Node 22 and 24. On an older Node, the npm registry's `node`
# package (a real Node binary) is installed once into the user's cache and put first on
# PATH for every recipe.
TOOLS_DIR := $(HOME)/.cache/notes-platform
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
ifeq ($(shell [ "$(NODE_MAJOR)" -lt 22 ] && echo old),old)
NODE24_DIR := $(TOOLS_DIR)/node24
NODE := $(NODE24_DIR)/node_modules/node/bin/node
export PATH := $(NODE24_DIR)/node_modules/node/bin:$(PATH)
endif

.PHONY: help synth test vet e2e local bench bench-scale bench-synth deploy-policy quotas diagram registry-permissions clean tools chromium sandbox sandbox-destroy

help:
	@echo "make synth          synthesize every stack of every environment into cdk.out (offline)"
	@echo "make test           vet, format and go.mod checks, then every Go test (infrastructure, Lambdas, browser)"
	@echo "make local          run the whole app locally on http://127.0.0.1:8080"
	@echo "make bench          Lambda benchmarks and bundle sizes"
	@echo "make quotas         every deploy-time limit AWS enforces, measured on the synthesized app"
	@echo "make bench-scale N=200   synth with N generated routes: resources, bytes, policy size, synth time"
	@echo "make bench-synth    cdk synth of the app against the floor app (A/B), with a profile of its phases"
	@echo "make deploy-policy ENV=prod   CloudFormation execution policy for cdk bootstrap (ENV=pipeline: the pipeline account's, docs/accounts.md)"
	@echo "make diagram        regenerate the architecture diagram in docs/architecture.md from the cloud assembly"
	@echo "make registry-permissions SCHEMAS=<zip|dir> SOURCE=<note>   refresh the vendored registry handler permissions"
	@echo "make sandbox NAME=alice ACCOUNT=123456789012 REGION=eu-west-1   deploy your personal sandbox (cdk deploy)"
	@echo "make sandbox-destroy NAME=alice   delete it and everything in it (cdk destroy)"

# Node 24 from the npm registry, only when the machine's Node is older than 22.
$(NODE):
	@echo "Node $(NODE_MAJOR) is older than 22: installing Node 24 from the npm registry into $(NODE24_DIR)"
	npm install --no-audit --no-fund --loglevel=error --prefix $(NODE24_DIR) node@24

# npm ci installs the pinned CDK CLI, dynalite, the IAM simulator and the cfn-guard binary
# with AWS Control Tower's rules (no install scripts: the binary's mode comes from the
# package). .npmrc keeps npm from installing peer dependencies. node_modules ships Go
# template files of `cdk init`; a go.mod there keeps them out of ./... patterns.
node_modules/.installed: package.json package-lock.json .npmrc $(NODE)
	npm ci --no-audit --no-fund --loglevel=error
	echo 'module nodemodules.invalid/ignored' > node_modules/go.mod
	touch $@

tools: node_modules/.installed
	@echo "node $$(node --version), npm $$(npm --version), $$(go version)"

# apt_install installs a Debian package when its command is missing: directly as root,
# otherwise it stops with the one command to run.
define apt_install
	@if ! command -v $(1) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "$(1) is missing: installing the Debian package $(2)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "$(1) is missing and this is not a root Debian shell. Install it with:"; \
	    echo "  sudo apt-get install -y $(2)"; \
	    exit 1; \
	  fi; \
	fi
endef

# The browser tests drive Chromium (E2E_CHROMIUM names another browser).
chromium:
ifeq ($(E2E_CHROMIUM),)
	$(call apt_install,chromium,chromium)
endif

# The artifact tests run the arm64 Lambda bundles; on another architecture they go
# through qemu (Debian's qemu-user-static). AWS's Runtime Interface Emulator is a Go tool
# pinned in go.mod and needs no install. Where ARTIFACT_TESTS_RUN_IN is set (the
# pipeline's x86 synth step), the artifact tests run elsewhere and qemu is not needed.
qemu:
ifeq ($(ARTIFACT_TESTS_RUN_IN),)
	@if [ "$$(uname -m)" != aarch64 ] && ! command -v qemu-aarch64-static >/dev/null 2>&1 && ! command -v qemu-aarch64 >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory qemu-install; fi
else
	@echo "artifact tests deferred to: $(ARTIFACT_TESTS_RUN_IN)"
endif

qemu-install:
	$(call apt_install,qemu-aarch64-static,qemu-user-static)

synth: tools
	npx cdk synth --quiet

# What synth reads: every file but version control, installed packages, outputs, docs and
# tests (internal/synthstamp.Inputs, which stamps cdk.out, follows the same rule). make test
# synthesizes only when one of them is newer than cdk.out: right after make synth, it
# reads the cloud assembly that make synth wrote.
SYNTH_INPUTS = $(shell find . \( -name .git -o -name node_modules -o -name cdk.out -o -name .local -o -path ./docs \
  -o -path ./test -o -path ./.ci -o -name testdata -o -name '.cdk.staging' \) -prune -o -type f \
  -not -name '*_test.go' -not -name '*.md' -not -name '.*' -print)
cdk.out/synth-inputs.sha256: $(SYNTH_INPUTS) node_modules/.installed
	npx cdk synth --quiet

vet:
	go vet ./...
	@bad=$$(gofmt -l $(GO_FILES)); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi
	@go mod tidy -diff >/dev/null || { echo "go.mod or go.sum is not tidy: run go mod tidy (go mod tidy -diff shows what changes)"; exit 1; }

# The tests read cdk.out (the artifact tests run its bundles, the infrastructure tests its
# templates), so it is synthesized first when it is missing or older than its inputs.
test: tools chromium qemu vet cdk.out/synth-inputs.sha256
	go test -count=1 -timeout 30m ./...

e2e: tools chromium
	go test -count=1 -v ./test/e2e/...

local: tools
	go run ./lambdas/cmd/local

bench: tools
	go test -run '^$$' -bench . -benchmem ./lambdas/internal/app ./lambdas/health ./lambdas/notesread ./lambdas/noteswrite
	go test -run '^$$' -bench . -benchtime 1x ./lambdas/build

quotas: synth
	@go run ./cmd/quotas cdk.out

# Synthesizes the app with N generated routes on new paths (test/scale; the shipped route
# table is not edited) and prints what they cost against the shipped app.
N ?= 200
bench-scale: tools
	N=$(N) go test -count=1 -run '^$$' -bench '^BenchmarkScale$$' -benchtime 1x -timeout 30m -v ./test/scale

# cdk synth of the app and of the floor (test/testdata/synthfloor) in turn, RUNS times each,
# the ratio, and where the app's time goes (cmd/synthbench).
RUNS ?= 3
bench-synth: tools
	go run ./cmd/synthbench -n $(RUNS)

deploy-policy: tools
	@go run ./cmd/deploypolicy --env $(ENV)

# Synthesizes the app (bundling skipped) and rewrites the Mermaid block between the
# diagram markers of docs/architecture.md (internal/diagram.Doc); test/diagram_test.go fails when it is stale.
diagram: tools
	go run ./cmd/diagram

# Rewrites internal/deploypolicy/registry/handlers.json from AWS's CloudFormation registry
# schemas: SCHEMAS is AWS's CloudformationSchema.zip (or a folder of its files, e.g. a
# repository that copies them verbatim), SOURCE a note of where they come from and their
# date, written into the file. Keeps the file's types, adds deploypolicy.Table's and ADD's.
registry-permissions:
	go run ./cmd/registrygen -schemas "$(SCHEMAS)" -source "$(SOURCE)" -add "$(ADD)"

clean:
	rm -rf cdk.out

# --- Personal sandboxes -------------------------------------------------------------------
# A sandbox is one environment named for a person (stacks <app>-<NAME>-base, -data, ...),
# deployed with the CDK CLI from this checkout and never by the pipeline: the app builds
# only that stage when the context holds sandbox=<NAME> (validated by internal/config).
# ACCOUNT and REGION default to those of the AWS credentials (AWS_PROFILE); the account
# must be bootstrapped (npx cdk bootstrap aws://ACCOUNT/REGION). The values reach the
# shell through the environment, never pasted into a command line. Each sandbox's cloud
# assembly and where it was deployed are kept in SANDBOX_DIR (not in cdk.out, which the
# tests read), so that `make sandbox-destroy NAME=...` removes it where it was deployed.
SANDBOX_DIR ?= $(TOOLS_DIR)/sandboxes
sandbox sandbox-destroy: export SANDBOX_NAME := $(NAME)
sandbox sandbox-destroy: export SANDBOX_ACCOUNT := $(ACCOUNT)
sandbox sandbox-destroy: export SANDBOX_REGION := $(REGION)
sandbox sandbox-destroy: export SANDBOX_DIR := $(SANDBOX_DIR)
SANDBOX_CDK = npx cdk --output "$$SANDBOX_DIR/$$SANDBOX_NAME.cdk.out" -c "sandbox=$$SANDBOX_NAME" \
  $${SANDBOX_ACCOUNT:+-c "sandboxAccount=$$SANDBOX_ACCOUNT"} $${SANDBOX_REGION:+-c "sandboxRegion=$$SANDBOX_REGION"}
# Prints where a deployed sandbox lives, from the cloud assembly that cdk deploy used.
export SANDBOX_WHERE := const dir = process.env.SANDBOX_DIR + "/" + process.env.SANDBOX_NAME + ".cdk.out"; \
  const m = require(dir + "/assembly-" + process.env.SANDBOX_NAME + "/manifest.json"); \
  const s = Object.values(m.artifacts).find(a => a.type === "aws:cloudformation:stack"); \
  const [, account, region] = /^aws:[/][/]([0-9]{12})[/]([a-z0-9-]+)$$/.exec(s.environment); \
  console.log("SANDBOX_ACCOUNT=" + account + "\nSANDBOX_REGION=" + region);

sandbox: tools
	@[ -n "$$SANDBOX_NAME" ] || { echo "usage: make sandbox NAME=<your name> [ACCOUNT=<12 digits>] [REGION=<region>]"; exit 2; }
	@mkdir -p "$$SANDBOX_DIR"
	$(SANDBOX_CDK) deploy --require-approval never "$$SANDBOX_NAME/*"
	@node -e "$$SANDBOX_WHERE" > "$$SANDBOX_DIR/$$SANDBOX_NAME" \
	  && echo "sandbox $$SANDBOX_NAME deployed ($$(paste -sd' ' "$$SANDBOX_DIR/$$SANDBOX_NAME")); remove it with: make sandbox-destroy NAME=$$SANDBOX_NAME"

sandbox-destroy: tools
	@[ -n "$$SANDBOX_NAME" ] || { echo "usage: make sandbox-destroy NAME=<your name> [ACCOUNT=<12 digits>] [REGION=<region>]"; exit 2; }
	@if [ -z "$$SANDBOX_ACCOUNT$$SANDBOX_REGION" ] && [ -f "$$SANDBOX_DIR/$$SANDBOX_NAME" ]; then \
	  . "$$SANDBOX_DIR/$$SANDBOX_NAME"; echo "sandbox $$SANDBOX_NAME: account $$SANDBOX_ACCOUNT, region $$SANDBOX_REGION (where make sandbox deployed it)"; fi; \
	  $(SANDBOX_CDK) destroy --force "$$SANDBOX_NAME/*" && rm -rf "$$SANDBOX_DIR/$$SANDBOX_NAME" "$$SANDBOX_DIR/$$SANDBOX_NAME.cdk.out"

# --- Artifact tests and cold-start benchmark (test/artifact) -----------------------------
# They run the bundles in cdk.out under AWS's Lambda Runtime Interface Emulator (a Go tool
# pinned in go.mod). On an x86_64 machine the arm64 bundles need qemu-aarch64-static
# (Debian: apt-get install -y qemu-user-static); on arm64 they run natively. These targets
# do not synthesize: the pipeline's ArtifactTests step brings the synth step's cdk.out.
.PHONY: test-artifacts bench-coldstart
test-artifacts: tools qemu
	go test -count=1 -timeout 20m ./test/artifact

bench-coldstart: tools
	go test -count=1 -run '^$$' -bench ColdStart -benchtime 20x ./test/artifact
