# The prompt gateway's image: `popsc serve` over a build's bundle.json, which the
# kubernetes target mounts at /bundle from a ConfigMap. Build from the repository root:
#   docker build -t ghcr.io/acme/support-gateway:1.4.0 .
# then deploy it by the digest the registry gives it (popsc warns about a tag, W0603).
#
# It runs as UID/GID 10001 (what the Deployment's securityContext asks for) on a
# read-only root filesystem: nothing is written but /tmp, which the pod mounts.

# ---- build: popsc and its dependencies into a virtual environment -----------------------
FROM python:3.12-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY promptlang ./promptlang
RUN python -m venv /opt/popsc \
 && /opt/popsc/bin/pip install --no-compile . \
 && /opt/popsc/bin/python -m compileall -q /opt/popsc/lib

# ---- run: the virtual environment alone, on the same slim base --------------------------
FROM python:3.12-slim-bookworm
LABEL org.opencontainers.image.title="popsc gateway" \
      org.opencontainers.image.description="The prompt gateway: popsc serve over a built bundle" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 popsc \
 && useradd --system --uid 10001 --gid popsc --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin popsc
COPY --from=build /opt/popsc /opt/popsc
# Listen on every interface (the container's network is the pod's); bytecode is compiled
# at build time, since the root filesystem is read-only at run time.
ENV PATH=/opt/popsc/bin:$PATH \
    POPSC_SERVE_HOST=0.0.0.0 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8080
# Kubernetes probes /healthz itself; this is for `docker run` and compose.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
ENTRYPOINT ["popsc"]
CMD ["serve", "/bundle", "--port", "8080"]
