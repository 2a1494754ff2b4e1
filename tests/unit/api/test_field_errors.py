from __future__ import annotations

from tenant_api.field_errors import all_field_errors
from tenant_api.wire import CreateTenant, UpdateTenant


def test_every_bad_field_is_named_not_only_the_first() -> None:
    errors = all_field_errors(CreateTenant, b'{"name": "", "slug": "X", "admin_email": "nope",'
                                           b' "plan": "gold", "unknown": 1}')
    assert [field for field, _ in errors] == ["name", "slug", "admin_email", "plan"]
    assert all(message for _, message in errors)


def test_missing_required_fields_are_named_and_optional_ones_are_not() -> None:
    assert all_field_errors(CreateTenant, b'{"name": "Acme"}') == [
        ("slug", "required"), ("admin_email", "required")]
    assert all_field_errors(UpdateTenant, b"{}") == []


def test_a_valid_body_or_one_that_is_not_an_object_gives_nothing() -> None:
    valid = b'{"name": "Acme", "slug": "acme", "admin_email": "a@acme.test"}'
    assert all_field_errors(CreateTenant, valid) == []
    assert all_field_errors(CreateTenant, b"[1, 2]") == []
    assert all_field_errors(CreateTenant, b"{not json") == []


def test_types_are_checked_strictly() -> None:
    assert [f for f, _ in all_field_errors(UpdateTenant, b'{"name": 5}')] == ["name"]
