# Chaos Advisor: `python -m agent ...`. By default the Slack approval server, reading stack.yaml
# from the ConfigMap mounted at /etc/chaos-advisor (deploy/README.md). Build from the repo root:
#   docker build -t chaos-advisor:0.1.0 .
FROM python:3.11-slim

# psycopg 3 without [binary] uses the system libpq (NOTES.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY agent ./agent
COPY graphs ./graphs
COPY tools ./tools
COPY prompts ./prompts
RUN pip install . && rm -rf /src

# Non-root, with a home for the writable state (an emptyDir in the pod; the root fs is read-only).
RUN groupadd --system --gid 10001 chaos \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/chaos-advisor --create-home chaos
USER 10001:10001
WORKDIR /var/lib/chaos-advisor
ENV HOME=/var/lib/chaos-advisor

EXPOSE 3000
ENTRYPOINT ["python", "-m", "agent"]
CMD ["slack", "serve", "--config", "/etc/chaos-advisor/stack.yaml", "--host", "0.0.0.0", "--port", "3000"]
