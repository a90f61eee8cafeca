# The journeys service: one static binary running dev, serve or migrate.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/journeys ./cmd/journeys

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/journeys /journeys
EXPOSE 8080
ENTRYPOINT ["/journeys"]
CMD ["serve"]
