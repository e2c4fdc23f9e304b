# Q2 server image: multi-stage, production dependencies only, runs as a non-root user on a
# read-only root filesystem (the only writable path is the /data volume).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY console ./console
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production Q2_DATA_DIR=/data Q2_HOST=0.0.0.0 Q2_PORT=8443
WORKDIR /app
RUN groupadd --system --gid 10001 q2 && useradd --system --uid 10001 --gid q2 --home-dir /nonexistent --shell /usr/sbin/nologin q2 \
  && mkdir /data && chown q2:q2 /data && chmod 0700 /data
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/console ./console
COPY --from=build --chown=root:root /app/package.json ./package.json
USER 10001:10001
EXPOSE 8443
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "require('https').get({host:'127.0.0.1',port:8443,path:'/healthz',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
