# Planning Poker: one process serving HTTP and Socket.IO (eventlet).
# Build: docker build -t planning-poker:latest .   Run: see DEPLOYMENT.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# A virtual environment keeps our pinned packages apart from the base image's.
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt

RUN useradd --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin poker \
    && mkdir -p /app/data \
    && chown poker:poker /app/data

WORKDIR /app
# The code belongs to root, so the app user can read but not change it.
COPY . /app

# Containers listen on all interfaces of their own network; the published
# address is chosen in docker-compose-multi.yml.
ENV FLASK_ENV=production \
    HOST=0.0.0.0 \
    PORT=5000 \
    DB_PATH=/app/data/poker.db \
    ASYNC_MODE=eventlet

USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 5000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "deploy/healthcheck.py"]

CMD ["python", "app.py"]
