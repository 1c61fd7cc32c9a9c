# Faultline's entry points. Every target is non-interactive and safe to run twice.
SHELL := /bin/bash
FAULTLINE := ./bin/faultline

.PHONY: setup run test bench clean

# Install npm dependencies, make sure a Docker engine answers (installing Debian's docker.io
# when we are root on Debian and none runs) and build the cached node image.
setup:
	bash scripts/setup.sh

# The main job: a real run against the default target (Raft, 5 nodes, partitions and kills).
run: setup
	$(FAULTLINE) run --target raft --nodes 5 --workload lin-kv --nemesis partition,kill --time-limit 60

# Typecheck, formatter check, then every test (unit and real-Docker integration tests).
test: setup
	npm test

# Benchmarks print figures; they assert nothing.
bench: setup
	node --import tsx bench/index.ts

# Remove every container, network and rule any Faultline run left behind.
clean:
	$(FAULTLINE) clean
