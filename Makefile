# The two commands: `make synth` and `make test`. Both install what they need from the
# lock files first and work offline (no AWS account, no Docker).
SHELL := /bin/bash
.DEFAULT_GOAL := help
export GOFLAGS ?= -mod=readonly
GO_FILES = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')

.PHONY: help synth test vet e2e local bench deploy-policy registry-permissions clean

help:
	@echo "make synth          synthesize every stack of every environment into cdk.out (offline)"
	@echo "make test           vet, format check and every Go test (infrastructure, Lambdas, browser)"
	@echo "make local          run the whole app locally on http://127.0.0.1:8080"
	@echo "make bench          Lambda benchmarks and bundle sizes"
	@echo "make deploy-policy ENV=prod   CloudFormation execution policy for cdk bootstrap"
	@echo "make registry-permissions SCHEMAS=<zip|dir> SOURCE=<note>   refresh the vendored registry handler permissions"

# npm ci installs the pinned CDK CLI and dynalite. node_modules ships Go template files
# of `cdk init`; a go.mod there keeps them out of ./... patterns.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	echo 'module nodemodules.invalid/ignored' > node_modules/go.mod
	touch $@

synth: node_modules/.installed
	npx cdk synth --quiet

vet:
	go vet ./...
	@bad=$$(gofmt -l $(GO_FILES)); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi

test: node_modules/.installed vet
	go test -count=1 -timeout 30m ./...

e2e: node_modules/.installed
	go test -count=1 -v ./test/e2e/...

local: node_modules/.installed
	go run ./lambdas/cmd/local

bench: node_modules/.installed
	go test -run '^$$' -bench . -benchmem ./lambdas/internal/app ./lambdas/health ./lambdas/notesread ./lambdas/noteswrite
	go test -run '^$$' -bench . -benchtime 1x ./lambdas/build

deploy-policy:
	@go run . deploy-policy --env $(ENV)

# Rewrites stacks/deploypolicy/registry/handlers.json from AWS's CloudFormation registry
# schemas: SCHEMAS is AWS's CloudformationSchema.zip (or a folder of its files, e.g. a
# repository that copies them verbatim), SOURCE a note of where they come from and their
# date, written into the file. Keeps the file's types, adds deploypolicy.Table's and ADD's.
registry-permissions:
	go run ./stacks/deploypolicy/registrygen -schemas "$(SCHEMAS)" -source "$(SOURCE)" -add "$(ADD)"

clean:
	rm -rf cdk.out
