# One image for every wooerp process (worker, ingress, CLI); the command picks the role.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY canonical canonical
COPY systems systems
COPY activities activities
COPY workflows workflows
COPY workers workers
COPY sandbox sandbox
RUN pip install --no-cache-dir .
RUN useradd --create-home wooerp
USER wooerp
ENTRYPOINT ["wooerp"]
CMD ["worker"]
