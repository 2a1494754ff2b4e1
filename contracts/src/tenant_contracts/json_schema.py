"""JSON Schema of the event catalog, for consumers in other languages."""

from __future__ import annotations

import json
import sys
from typing import Any

import msgspec

from tenant_contracts.events import Event


def events_json_schema() -> dict[str, Any]:
    return msgspec.json.schema(Event)


def main() -> None:
    json.dump(events_json_schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
