"""`tenantctl watch`: a WebSocket client for the notifier, one line per frame."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any
from urllib.parse import urlencode

import websockets


def describe(frame: dict[str, object]) -> str:
    if frame.get("type") != "event":
        return json.dumps(frame)
    event = frame["event"]
    assert isinstance(event, dict)
    detail = ""
    if event["type"] == "TenantProgress":
        detail = f" {event['stage']} {event['percent']}%"
    elif "error" in event:
        detail = f" error={event['error']!r}"
    return f"{frame['seq']:>6} {event['type']:<24} {event['tenant_id']}{detail}"


def unfold(frame: dict[str, Any]) -> list[dict[str, Any]]:
    """The frames one message carries: an `events` frame holds several, in stream order."""
    if frame.get("type") == "events" and isinstance(frame.get("items"), list):
        return [item for item in frame["items"] if isinstance(item, dict)]
    return [frame]


async def watch(url: str, token: str, after: int | None, until: str | None,
                tenant: str | None) -> int:
    # batch=1: when behind, several event frames come as one `events` frame (unfolded here).
    query = {"access_token": token, "batch": "1"} | (
        {"after": str(after)} if after is not None else {})
    async with websockets.connect(f"{url}?{urlencode(query)}") as socket:
        async for message in socket:
            for frame in unfold(json.loads(message)):
                event = frame.get("event") or {}
                if tenant and frame.get("type") == "event" and event.get("tenant_id") != tenant:
                    continue
                print(describe(frame), flush=True)
                if until and event.get("type") == until:
                    return 0
    print(f"closed: {socket.close_code} {socket.close_reason}", file=sys.stderr)
    return 1


def run_watch(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("TOKEN")
    if not token:
        print("tenantctl watch: pass --token or set TOKEN", file=sys.stderr)
        return 2
    try:
        return asyncio.run(asyncio.wait_for(
            watch(args.url, token, args.after, args.until, args.tenant), args.timeout))
    except TimeoutError:
        print(f"tenantctl watch: nothing matched --until within {args.timeout}s", file=sys.stderr)
        return 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("watch", help="print the notifier's frames")
    parser.add_argument("--url", default=os.environ.get("NOTIFIER_URL",
                                                        "ws://localhost:8001/ws"))
    parser.add_argument("--token")
    parser.add_argument("--after", type=int, help="replay events after this stream seq first")
    parser.add_argument("--tenant", help="only this tenant's events")
    parser.add_argument("--until", help="exit after an event of this type, e.g. TenantActive")
    parser.add_argument("--timeout", type=float, default=None)
    parser.set_defaults(handler=run_watch)
