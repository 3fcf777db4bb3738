# One image for both production processes: `npm run api` (default) and `npm run worker`.
# opa compiles policies/ to the WASM bundle the worker evaluates in-process.
FROM openpolicyagent/opa:1.22.0-static AS opa

FROM node:24-bookworm-slim
# bubblewrap runs MCP stdio servers registered with network: false (the container must allow user namespaces).
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm install, not ci: the lock omits optional platform packages some mirrors do not serve (see .ci/run).
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
COPY --from=opa /opa /usr/local/bin/opa
# Prebuild the workflow bundle (workers start without webpack) and the policy bundle (dist/policy).
RUN npm run build:workflows -- /app/dist/workflow-bundle.js \
 && mkdir -p .tools/bin && ln -s /usr/local/bin/opa .tools/bin/opa \
 && npm run build:policies
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js HOST=0.0.0.0 PORT=3000
USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
