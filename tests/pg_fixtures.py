"""Pytest fixtures for a real PostgreSQL (a plugin: conftest.py lists it in pytest_plugins).

pg_cluster     one throwaway cluster per test session (tools/pg_cluster.py)
pg_url         a fresh, empty database in it for each test (dropped afterwards)
store_url_any  the same test on both store backends: an SQLite file and PostgreSQL
"""
from __future__ import annotations

import os
import uuid

import pytest

from tools import pg_cluster as pg_server

NOT_INSTALLED = ("PostgreSQL is not installed (apt-get install postgresql): "
                 "the PostgreSQL store tests are skipped")


@pytest.fixture(scope="session")
def pg_cluster(tmp_path_factory):
    if pg_server.find_bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail(NOT_INSTALLED.replace("are skipped", "cannot run in CI"))
        pytest.skip(NOT_INSTALLED)
    cluster = pg_server.start_cluster(tmp_path_factory.mktemp("pg"))
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = pg_cluster.create_database(name)
    yield url
    try:
        pg_cluster.drop_database(name)
    except Exception:       # the cluster goes at session end anyway; never fail a test here
        pass


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url_any(request, tmp_path):
    """The SQLite case needs no PostgreSQL: pg_url is requested only for the other one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/s.db"
    return request.getfixturevalue("pg_url")
