# syntax=docker/dockerfile:1
# irflow image: one binary that runs as `worker` or `serve` against an external
# Temporal cluster (see docker-compose.yml). Multi-stage: build with cgo on a Debian
# Go image, run on Debian slim with the same glibc.

# go.mod requires go 1.26.8 and the official images set GOTOOLCHAIN=local, so the
# builder is pinned to at least that patch release.
ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# cgo is required: the store (and the embedded dev server) use mattn/go-sqlite3.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/irflow ./cmd/irflow

FROM debian:bookworm-slim
# ca-certificates: TLS to Zendesk and to Temporal Cloud; tzdata: local times in
# reports and deadlines.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 irflow \
    && useradd --system --uid 10001 --gid irflow --home-dir /data --shell /usr/sbin/nologin irflow \
    && mkdir -p /data && chown irflow:irflow /data
COPY --from=build /out/irflow /usr/local/bin/irflow
# /data holds the SQLite store. A new named volume is initialised from this folder,
# so it starts owned by the irflow user.
VOLUME ["/data"]
ENV IRFLOW_STORE=/data/irflow.db \
    IRFLOW_EVIDENCE=/data/evidence
USER irflow:irflow
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["irflow"]
CMD ["--help"]
