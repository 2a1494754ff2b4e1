"""Each user sees only their own tenants, live; an admin sees everyone's."""

from __future__ import annotations

from tests.e2e.browser.conftest import OpenSpa
from tests.e2e.browser.spa import unique
from tests.e2e.browser.stack import BrowserStack


async def test_two_users_see_only_their_own_tenants_and_an_admin_sees_both(
    open_spa: OpenSpa, stack: BrowserStack,
) -> None:
    token = stack.platform.token
    alice_sub, bob_sub, root_sub = unique("alice"), unique("bob"), unique("root")
    alice = await open_spa(token(alice_sub), alice_sub)
    bob = await open_spa(token(bob_sub), bob_sub)
    admin = await open_spa(token(root_sub, "admin"), root_sub)
    first, second, third = unique("alpha"), unique("bravo"), unique("charlie")

    await alice.create("Alpha", first)
    await alice.expect_status(first, "Active")
    await bob.create("Bravo", second)
    await bob.expect_status(second, "Active")
    # alice's next request is later in the stream than everything of bob's: once its
    # Provisioning reached her page over the socket, any leak of bob's would have too.
    await alice.create("Charlie", third)
    await alice.expect_status(third, "Provisioning")
    await admin.expect_status(third, "Provisioning")

    alice_rows, bob_rows, admin_rows = await alice.rows(), await bob.rows(), await admin.rows()
    assert {first, third} <= set(alice_rows) and second not in alice_rows
    assert second in bob_rows and not {first, third} & set(bob_rows)
    assert {first, second, third} <= set(admin_rows)
    assert admin_rows[first]["owner"] == alice_sub and admin_rows[second]["owner"] == bob_sub
    await admin.expect_status(second, "Active")
    for spa in (alice, bob, admin):
        assert await spa.never_reloaded()
