# syntax=docker/dockerfile:1
# The image every service of compose.yaml runs: core with every platform plugin, PostgreSQL,
# Prometheus metrics and the web UI, installed from wheels built from this checkout.
FROM python:3.11-slim AS wheels
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir "build>=1.2" \
 && for d in core plugins-*; do python -m build --wheel --outdir /wheels "$d"; done

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 fusionhub
COPY --from=wheels /wheels /wheels
# The core wheel by path, its extras found beside it (docs/releasing.md, README "Installing by extra").
RUN pip install --no-cache-dir --find-links /wheels "$(ls /wheels/fusionhub-*.whl)[all,postgres,prometheus,serve]" \
 && rm -rf /wheels
USER fusionhub
# Inside a container the metrics endpoint must be reachable from the compose network.
ENV FUSIONHUB_METRICS_HOST=0.0.0.0
ENTRYPOINT ["fusionhub"]
CMD ["--help"]
