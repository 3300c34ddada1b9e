"""``flask create-user``: accounts for agents and administrators (and any role, for support)."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext
from sqlalchemy import select

from app.commands.common import fail
from app.extensions import db
from app.models import Role, Territory
from app.security.passwords import password_problem
from app.services import accounts, audit
from app.services.errors import DomainError


@click.command("create-user")
@click.option("--email", required=True, help="Login e-mail address.")
@click.option("--role", type=click.Choice([r.value for r in (Role.AGENT, Role.ADMIN)]), required=True)
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--territory", help="Territory name (required for an agent).")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create_user(email, role, first_name, last_name, territory, password) -> None:
    """Create an agent or administrator account."""
    role = Role(role)
    for option, value in (("--first-name", first_name), ("--last-name", last_name)):
        if not value.strip():
            fail(f"{option} is empty")
    try:
        # The same check as the forms' (no DNS look-up), so the account can log in through them.
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        fail(f"--email: {email!r} is not an e-mail address")
    problem = password_problem(password)
    if problem:
        fail(f"password: {problem.replace('_', ' ')} (at least 12 characters, not a common one)")
    territory_row = None
    if role is Role.AGENT:
        if not territory:
            fail("--territory is required for an agent")
        territory_row = db.session.scalar(select(Territory).where(Territory.name == territory))
        if territory_row is None:
            fail(f"--territory: no territory named {territory!r}")
    elif territory:
        fail("--territory is only for an agent (an administrator sees every territory)")
    try:
        user = accounts.create_user(
            role, accounts.Identity(first_name=first_name, last_name=last_name,
                                    email=email, password=password),
        )
    except DomainError:
        fail(f"--email: an account with {email!r} already exists")
    user.territory_id = territory_row.id if territory_row else None
    audit.record("user.create", "user", user.id, role=role)
    db.session.commit()
    click.echo(f"{role.value} {user.email} created.")
