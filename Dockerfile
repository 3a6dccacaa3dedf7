# syntax=docker/dockerfile:1
# One image for the operator, the gateway and the proxy pod (`mcpre operator`, `mcpre gateway`, `mcpre gateway
# --proxy-mode`). It runs the compiled build (dist/, `tsconfig.build.json`), not the sources on Node's type stripping:
# the stripper (a WASM module) and the stripped sources cost about 30 MiB of RSS in every pod. The first stage
# compiles, the second installs production dependencies only, the third is distroless, non-root, and works with a
# read-only root.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts stay off: the `node` devDependency would fetch a second Node; tsc runs on the image's own.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

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
COPY --from=build /app/dist/src ./dist/src
# The live view's page is read from the package root at run time (src/runtime/package-root.ts).
COPY src/viz/live-view/page.html ./src/viz/live-view/page.html
COPY crds ./crds
USER 65532:65532
# A 16 MiB semi-space caps the young generation V8 grows under a burst of calls and then keeps: measured on the
# gateway-latency bench, RSS after the run 259-287 -> 178-209 MiB with CPU per call unchanged within noise. It is the
# image's default through NODE_OPTIONS (a flag on the entrypoint would win over it), so a container can set its own:
# the operator's manifests set 8 MiB.
# A fixed malloc trim threshold: glibc otherwise raises it after V8 frees the ~24 MiB it mallocs once to compile
# undici's llhttp WebAssembly with its optimizing tier, and keeps that memory. With it alone the gateway's RSS at rest
# was 84-86 MiB in most starts and 92-93 in about one in six (a block still in use above the freed memory of the
# compiling thread's malloc arena); with undici's llhttp build without SIMD (UNDICI_NO_WASM_SIMD=1) 85-89 MiB in every
# one of 16 starts. CPU per call within noise for both (gateway-latency bench, GATEWAY_ENV / BASELINE_ENV side by side).
# V8's --liftoff-only would keep the compile memory away too, but it doubles Cedar's time per authorization check.
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=16 MALLOC_TRIM_THRESHOLD_=131072 UNDICI_NO_WASM_SIMD=1
EXPOSE 8080 9090
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/cli.js"]
CMD ["--help"]
