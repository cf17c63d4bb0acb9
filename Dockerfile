# Slim, non-root image of the mlsvs CLI (core install: scanning, code rules, secrets,
# dependency audits, verify). Build: docker build -t mlsvs .
# Run:   docker run --rm -v "$PWD:/work:ro" mlsvs scan /work/models
#        docker run --rm -v "$PWD:/work" mlsvs verify /work -f sarif:/work/mlsvs.sarif
# Extras (model tests, data checks) add heavy libraries: build with --build-arg EXTRAS=data,ml
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE NOTICE ./
COPY LICENSES ./LICENSES
COPY src ./src
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLSVS_CACHE_DIR=/tmp/mlsvs-cache
COPY --from=build /wheels /wheels
RUN set -eux; \
    wheel="$(ls /wheels/mlsvs-*.whl)"; \
    if [ -n "$EXTRAS" ]; then spec="mlsvs[$EXTRAS] @ file://$wheel"; else spec="$wheel"; fi; \
    python -m pip install --no-cache-dir "$spec"; \
    rm -rf /wheels; \
    useradd --create-home --uid 10001 --shell /usr/sbin/nologin mlsvs
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["mlsvs"]
CMD ["--help"]
