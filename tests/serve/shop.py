"""The `shop` test project's names and inputs, shared by the gateway's tests (a module
of its own: `from conftest import ...` is ambiguous when another test folder's
conftest was imported first)."""

PROVIDER_KEY = "sk-shop-provider-0123456789abcdef"
GREET = "shop.prompts.greet"
ORDER_HELP = "shop.prompts.order_help"
ECHO = "shop.prompts.echo"
ADA = {"shopper": {"name": "Ada", "email": "ada@example.com", "visits": 3}}
ORDER_TEXT = "where is order 123456"
PROMISE_TEXT = "will order 123456 arrive tomorrow?"  # its recorded answer breaks `no_promises`
