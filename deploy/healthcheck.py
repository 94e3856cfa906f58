"""Container health check: exit 0 when URL answers 200 within the timeout, else 1.

Standard library only, because the slim image has no curl or wget:
    python deploy/healthcheck.py http://127.0.0.1:8501/_stcore/health [timeout seconds]
"""
from __future__ import annotations

import sys
import urllib.error
import urllib.request


# Straight to the server: a proxy set in the environment must not answer for it.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def healthy(url: str, timeout: float = 4.0) -> tuple[bool, str]:
    """(answered 200, what happened) for one GET of `url`; never raises."""
    try:
        with _DIRECT.open(url, timeout=timeout) as response:
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"no answer: {getattr(exc, 'reason', exc)}"


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print("usage: healthcheck.py URL [timeout seconds]", file=sys.stderr)
        return 2
    ok, detail = healthy(argv[0], float(argv[1]) if len(argv) == 2 else 4.0)
    print(f"{argv[0]}: {detail}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
