"""The Celery side of bench/provisioner/pickup.py: one no-op task on a Redis broker.

The worker imports this module (`celery -A celery_noop worker`); PICKUP_REDIS_URL
names the broker. Each task notes, first thing, when it started (CLOCK_MONOTONIC,
the same clock in every process of the machine) in a Redis hash, which the
benchmark reads once all have run: the write comes after the moment measured.
"""

from __future__ import annotations

import os
import time
from functools import cache

import redis
from celery import Celery

STARTED = "pickup:started"  # hash: task number -> monotonic start time
REDIS_URL = os.environ["PICKUP_REDIS_URL"]

app = Celery("pickup", broker=REDIS_URL)
app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False,
                broker_connection_retry_on_startup=True)


@cache
def _redis() -> redis.Redis:  # one per worker process (prefork children fork first)
    return redis.Redis.from_url(REDIS_URL)


@app.task(name="pickup.noop")
def noop(number: int) -> None:
    started = time.monotonic()
    _redis().hset(STARTED, str(number), repr(started))
