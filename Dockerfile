# The shopetl image: the CLI (load, migrate, check, serve) and the Flyte tasks.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SHOPETL_HOME=/app
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake bison flex \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY orchestrator orchestrator
COPY graphql graphql
COPY flyte flyte
COPY sql sql
RUN pip install --no-cache-dir -e ".[flyte]"
EXPOSE 8080
CMD ["shopetl", "--help"]
