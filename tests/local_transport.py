"""A real network transport for tests that talk to a server on 127.0.0.1."""
import httpx


class ToLocal(httpx.AsyncBaseTransport):
    """Sends every request to the local server on `port` (a real socket, real httpcore)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
