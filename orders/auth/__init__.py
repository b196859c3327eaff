"""Who may do what on the HTTP services (README, "Security").

- principal.py   who is calling: Customer, Staff, or Anyone (auth off)
- rules.py       pure access rules: a route's Access, and per-order decisions
- keys.py        verification keys from the settings (HS256 secret, PEM key, JWKS file)
- verifier.py    bearer token verification with PyJWT
- gate.py        a route's door check: token -> principal -> allowed or not
- middleware.py  the aiohttp middleware both services install
- openapi.py     the security part of the OpenAPI documents
- mint.py        development tokens (`orderflow token`)
"""
