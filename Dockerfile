# syntax=docker/dockerfile:1

# The Node.js release of both stages, and the one `bash .ci/run` runs the test suite on as well
# as the machine's. Pinned by exact version: a rebuild gets the same Node, and `engines` in
# package.json must admit its major (a test checks both). The tag is not pinned by digest because
# this repository's checks run without access to a registry and could not verify one. To pin it,
# look the digest up with `docker buildx imagetools inspect node:<NODE_VERSION>-bookworm-slim` and
# build with `--build-arg NODE_DIGEST=@sha256:<digest>`.
ARG NODE_VERSION=24.22.3
ARG NODE_DIGEST=

# ---- build: compile TypeScript with the dev dependencies ----
FROM node:${NODE_VERSION}-bookworm-slim${NODE_DIGEST} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-views.mjs ./scripts/
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and the compiled output only ----
FROM node:${NODE_VERSION}-bookworm-slim${NODE_DIGEST} AS runtime
ARG NODE_VERSION
ARG NODE_DIGEST
# The package version by default; a release build may pass the commit and the repository's URL.
ARG VERSION=0.1.0
ARG REVISION=
ARG SOURCE=
LABEL org.opencontainers.image.title="aareguru-mcp" \
      org.opencontainers.image.description="MCP server for the Swiss Aare river: water temperature, flow, BAFU danger levels, weather and history from the Aareguru API" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="docker.io/library/node:${NODE_VERSION}-bookworm-slim${NODE_DIGEST}"
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# The image's node user, by number: Kubernetes can only check runAsNonRoot against a numeric UID.
USER 1000:1000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Run with `docker run --init …` (or tini) so SIGTERM reaches Node and the server shuts down cleanly.
CMD ["node", "dist/main.js"]
