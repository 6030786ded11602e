# podgate's container image. Node 24 runs the TypeScript sources directly
# (type stripping), so "building" is installing production dependencies.
# Node refuses to strip types under node_modules: the app lives in /app.
#   docker build -t podgate:dev .

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; none of them needs an install script.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
# .dockerignore lets in only package.json, bin/, src/, webhooks/, extender/, config/ and policies/.
COPY . .
# The image's unprivileged "node" user; the manifests run it with a read-only root filesystem.
USER 1000:1000
EXPOSE 8443 9090
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "/app/bin/podgate.js"]
CMD ["serve", "--host", "0.0.0.0"]
