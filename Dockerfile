# The Qamqor binary in a small image. Used by docker-compose.yml; `make run`
# does the same without Docker.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/qamqor ./cmd/qamqor

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/qamqor /usr/local/bin/qamqor
# The demo road network (© OpenStreetMap contributors, ODbL 1.0).
COPY testdata/osm/astana_roads_approx.osm.pbf testdata/osm/SOURCES.md testdata/osm/
EXPOSE 8080
CMD ["qamqor", "serve"]
