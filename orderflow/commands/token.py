"""`orderflow token --customer ID | --staff [--ttl 1h]`: a bearer token for the configured
HS256 secret (ORDERFLOW_AUTH_HS256_SECRET), for curl, the CLI's --token and the demo."""

import click

from orders.auth.mint import mint, parse_ttl
from orders.errors import AuthConfigError
from orders.settings import Settings

# The option every command that calls the services over HTTP takes.
token_option = click.option(
    "--token",
    envvar="ORDERFLOW_TOKEN",
    default=None,
    help="Bearer token for the services (needed with ORDERFLOW_AUTH_MODE=jwt; "
    "`orderflow token` makes one). Env: ORDERFLOW_TOKEN.",
)


def _ttl(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    try:
        return parse_ttl(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.command()
@click.option("--customer", metavar="ID", help="A customer token: may act for this customer only.")
@click.option("--staff", is_flag=True, help="A staff token: every order, /events, the dashboard.")
@click.option("--subject", default="staff", show_default=True, help="The staff token's sub.")
@click.option("--ttl", default="1h", show_default=True, callback=_ttl, help="90s, 30m, 12h, 7d.")
def token(customer: str | None, staff: bool, subject: str, ttl: float) -> None:
    """Print a token signed with ORDERFLOW_AUTH_HS256_SECRET (development and tests)."""
    if (customer is None) == (not staff):
        raise click.UsageError("give exactly one of --customer ID and --staff")
    if customer is not None and not 1 <= len(customer) <= 128:
        raise click.UsageError("--customer must be 1 to 128 characters")
    try:
        click.echo(mint(Settings(), customer or subject, staff=staff, ttl_s=ttl))
    except AuthConfigError as e:
        raise click.ClickException(str(e)) from None
