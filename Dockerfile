# Multi-stage build of the one binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin citizen-feedback

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --create-home app
WORKDIR /app
COPY --from=build /src/target/release/citizen-feedback /usr/local/bin/citizen-feedback
USER app
# Production by default: the server refuses to start without a real
# JWT_SECRET (at least 32 bytes). Set APP_ENVIRONMENT=development to try the
# image without one.
ENV APP_ENVIRONMENT=production \
    LISTEN_ADDR=0.0.0.0:8080 \
    MEDIA_DIR=/app/data/media
EXPOSE 8080
# `serve` applies pending migrations before it listens.
CMD ["citizen-feedback", "serve"]
