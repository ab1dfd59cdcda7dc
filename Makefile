# Qamqor: `make run` sets everything up and serves; `make test` sets up the
# test database and runs every test against real PostGIS.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

DEFAULT_DB_URL := postgres://qamqor:qamqor@localhost:5432/qamqor?sslmode=disable
DEFAULT_TEST_DB_URL := postgres://qamqor:qamqor@localhost:5432/qamqor_test?sslmode=disable

.PHONY: run test db test-db build lint

## db: install PostgreSQL + PostGIS if missing, start it, create and migrate the qamqor database
db:
	bash scripts/db.sh qamqor

## test-db: the same for the qamqor_test database
test-db:
	bash scripts/db.sh qamqor_test

## build: the one binary, bin/qamqor
build:
	go build -o bin/qamqor ./cmd/qamqor

## run: db, demo data, road graph, then serve on :8080
run: db build
	bash scripts/run.sh

## test: test database and the browser for UI tests, then go test ./...
test: test-db
	bash scripts/browser.sh
	bash scripts/test.sh

## lint: gofmt, go vet, staticcheck
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
