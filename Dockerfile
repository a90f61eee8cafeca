# The journeys service for production: one static binary running serve or
# migrate. -tags nodev leaves out the embedded Temporal server and UI that
# only `journeys dev` uses (most of the binary): production has a cluster.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -tags nodev -o /out/journeys ./cmd/journeys

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/journeys /journeys
# The API, and GET /metrics when JOURNEYS_METRICS_ADDR is 0.0.0.0:9090.
EXPOSE 8080 9090
ENTRYPOINT ["/journeys"]
CMD ["serve"]
