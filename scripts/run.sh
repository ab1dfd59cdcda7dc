#!/usr/bin/env bash
# run.sh: after `make db` and `make build`, load the Astana demo data and the
# road graph once, then serve. Running it again reuses what exists.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL=${DATABASE_URL:-postgres://qamqor:qamqor@localhost:5432/qamqor?sslmode=disable}
bin/qamqor demo load
bin/qamqor import-osm --skip-if-loaded testdata/osm/astana_roads_approx.osm.pbf
addr=${QAMQOR_ADDR:-:8080}
port=${addr##*:}
cat <<MSG

Qamqor is starting: open http://localhost:${port}/ in a browser.

Demo logins (username / password):
  admin       / admin-demo       (admin: users, organisations, teams)
  dispatcher  / dispatcher-demo  (dispatcher: live map, planning)
  hotline     / hotline-demo     (hotline operator: intake form)
  lead1       / lead-demo        (team lead of team 1: route on a phone)
  coord1      / coord-demo       (coordinator of «Жастар еріктілері»: sign-ups, certificates)

Volunteer sign-up (no login): http://localhost:${port}/signup

MSG
exec bin/qamqor serve --addr "$addr"
