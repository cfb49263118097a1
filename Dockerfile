# The doctor's image for users who build with Docker: the Node 24 runtime and the bundle only, user
# 65534, no shell needed. (The tests build the same image without Docker: test/cluster/images/.)
#   docker build -t runner-doctor:0.1.0 .
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs

FROM gcr.io/distroless/nodejs24-debian12
COPY --from=build /src/dist /app/dist
COPY --from=build /src/package.json /app/package.json
USER 65534:65534
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/runner-doctor.mjs"]
CMD ["check", "--help"]
