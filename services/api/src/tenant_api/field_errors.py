"""Every invalid field of a body, not just the first one msgspec stops at."""

from __future__ import annotations

from typing import Any

import msgspec

_json = msgspec.json.Decoder()


def all_field_errors(struct_type: type[msgspec.Struct], body: bytes) -> list[tuple[str, str]]:
    """(field, message) for each field of `body` that `struct_type` refuses.

    Empty when the body is not a JSON object: the caller keeps the decoder's
    own error then. Unknown fields are ignored, as on the wire.
    """
    try:
        raw: Any = _json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return []
    if not isinstance(raw, dict):
        return []
    errors = []
    for field in msgspec.structs.fields(struct_type):
        if field.encode_name not in raw:
            if field.required:
                errors.append((field.encode_name, "required"))
            continue
        try:
            msgspec.convert(raw[field.encode_name], field.type, strict=True)
        except msgspec.ValidationError as exc:
            errors.append((field.encode_name, str(exc)))
        except RecursionError:
            errors.append((field.encode_name, "nested too deeply"))
    return errors
