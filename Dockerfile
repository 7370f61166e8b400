# driftloop runs as TypeScript source through tsx; no build step.
FROM node:20.19-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
ENTRYPOINT ["node", "bin/driftloop.mjs"]
CMD ["worker"]
