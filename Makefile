# Rhizome: the two commands a user needs are `make run` and `make test`.
GO        ?= go
ARGS      ?= serve --plc-url embedded
FUZZTIME  ?= 60s
BENCHTIME ?= 1s

.PHONY: run test unit interop interop-deps stress fuzz-smoke fuzz bench vet tidy-check build

run: ## run the pod offline on ./rhizome-data (other commands: make run ARGS="car verify repo.car")
	$(GO) run ./cmd/rhizome $(ARGS)

build:
	$(GO) build -o bin/rhizome ./cmd/rhizome

test: unit interop fuzz-smoke ## the whole suite: unit, interop with the official client, property and a short run of every fuzz target

interop: interop-deps ## the official TypeScript client against a live pod (installs npm packages and chromium when missing)
	@test/interop/run

interop-deps: ## the npm packages of test/interop (the Go suites test/identity and test/multinode drive them too) and Debian's chromium for its OAuth browser test
	@.ci/chromium
	@if [ ! -f test/interop/node_modules/.package-lock.json ] || [ test/interop/package-lock.json -nt test/interop/node_modules/.package-lock.json ]; then \
		echo "installing test/interop npm packages (npm ci)"; \
		cd test/interop && npm ci --no-audit --no-fund --loglevel=error; fi

unit: interop-deps
	@.ci/check-shared
	@.ci/versitygw
	@.ci/refpds
	$(GO) test -count=1 -timeout 20m ./...

fuzz-smoke:
	@.ci/fuzz 5s

stress: ## the crash test with 500 SIGKILLs instead of 50
	RHIZOME_CRASH_KILLS=500 $(GO) test -count=1 -timeout 30m -run TestCrash ./test/crash

fuzz: ## every fuzz target for FUZZTIME each
	@.ci/fuzz $(FUZZTIME)

bench: ## benchmarks, ours beside indigo; see docs/BENCHMARKS.md
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m ./...

vet:
	$(GO) vet ./...

tidy-check:
	$(GO) mod tidy -diff
