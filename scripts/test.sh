#!/usr/bin/env bash
# test.sh: run every test against the real PostGIS test database that
# `make test-db` prepared. Integration tests fail, never skip, without it.
set -euo pipefail
cd "$(dirname "$0")/.."
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://qamqor:qamqor@localhost:5432/qamqor_test?sslmode=disable}
go vet ./...
go test -count=1 -timeout 45m ./...
