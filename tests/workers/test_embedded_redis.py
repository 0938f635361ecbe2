"""The embedded Redis: durable across restarts, one per data folder, gone after stop."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
import redis

from trust.errors import ConfigurationError
from workers.embedded_redis import EmbeddedRedis, running_url


def test_queued_data_survives_a_restart_thanks_to_the_append_only_file(tmp_path: Path) -> None:
    with EmbeddedRedis.in_data_dir(tmp_path) as server:
        client = redis.Redis.from_url(server.url)
        client.rpush("trust:queue", "batch-1")
        client.close()

    with EmbeddedRedis.in_data_dir(tmp_path) as server:
        client = redis.Redis.from_url(server.url)
        assert client.lrange("trust:queue", 0, -1) == [b"batch-1"]
        client.close()
    assert (tmp_path / "redis" / "appendonly.aof").exists() or (
        tmp_path / "redis" / "appendonlydir"
    ).exists()


def test_a_second_server_on_the_same_data_folder_is_refused(tmp_path: Path) -> None:
    with EmbeddedRedis.in_data_dir(tmp_path) as server:
        assert running_url(tmp_path) == server.url
        with pytest.raises(ConfigurationError, match="already running"):
            EmbeddedRedis.in_data_dir(tmp_path).start()


def test_after_stop_no_server_process_remains(tmp_path: Path) -> None:
    server = EmbeddedRedis.in_data_dir(tmp_path)
    server.start()
    assert server.process is not None
    pid = server.process.pid

    server.stop()

    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert running_url(tmp_path) is None


def test_a_long_data_folder_falls_back_to_a_loopback_port(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)

    with EmbeddedRedis.in_data_dir(deep) as server:
        assert server.url.startswith("redis://127.0.0.1:")
        assert redis.Redis.from_url(server.url).ping()
