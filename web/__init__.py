"""HTTP pages and API (Starlette), and the `yuanjiao` CLI that composes every layer."""
