# syntax=docker/dockerfile:1
# One image for the operator, the gateway and the proxy pod (`mcpre operator`, `mcpre gateway`, `mcpre gateway
# --proxy-mode`). The sources run directly on Node 24's type stripping, so the image needs no build step: the first
# stage installs production dependencies only, the second is distroless, non-root, and works with a read-only root.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` devDependency is not needed inside an image that already runs Node 24.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY crds ./crds
USER 65532:65532
ENV NODE_ENV=production
EXPOSE 8080 9090
ENTRYPOINT ["/nodejs/bin/node", "/app/src/cli.ts"]
CMD ["--help"]
