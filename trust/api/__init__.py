"""The HTTP API (``trust serve``): events in, decisions out, for marketplace backends.

``create_app`` builds the FastAPI app over an ``ApiContext``; ``workers/serve.py`` composes
that context (pipeline, queue sink) for uvicorn.
"""

from trust.api.app import create_app
from trust.api.context import ApiContext

__all__ = ["ApiContext", "create_app"]
