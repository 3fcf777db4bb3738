# One image for both production processes: `npm run api` (default) and `npm run worker`.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# Prebuild the workflow bundle so workers start without webpack.
RUN npm run build:workflows -- /app/dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js HOST=0.0.0.0 PORT=3000
USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
