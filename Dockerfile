# The operator image: a static-ish Rust binary on distroless, non-root (the chart's
# restricted securityContext: UID 65532, read-only root filesystem).
#   docker build -t ecs-operator:dev .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ecs-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/ecs-operator /usr/local/bin/ecs-operator
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ecs-operator"]
CMD ["run"]
