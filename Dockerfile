# The b2h binary in a small image: `docker compose up` (compose.yaml) builds it.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p b2h-api --bin b2h

FROM debian:bookworm-slim
# CA certificates: rustls verifies S3 (and any HTTPS) against the system's roots.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --create-home b2h && mkdir /exports && chown b2h /exports
COPY --from=build /src/target/release/b2h /usr/local/bin/b2h
USER b2h
WORKDIR /home/b2h
ENV B2H_LISTEN=0.0.0.0:8080
EXPOSE 8080
CMD ["b2h", "serve"]
