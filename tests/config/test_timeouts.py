"""The request path's timeouts (app/config/timeouts.env): each layer gives up before the one around
it, and every runtime takes them from that one file."""

import pytest
from django.db import connection

from config.timeouts import declared, timeouts
from stack import render
from stack.layout import Stack

T = declared()


def test_each_layer_gives_up_before_the_one_around_it():
    # The worst request before a breaker opens: its Redis calls time out, a stalled database
    # connection is given up and a new one too, and its slowest statement runs to the limit.
    redis = T["BREAKER_FAIL_MAX"] * max(T["REDIS_CONNECT_TIMEOUT"], T["REDIS_TIMEOUT"])
    database = T["DB_TCP_USER_TIMEOUT"] + T["DB_CONNECT_TIMEOUT"] + T["DB_STATEMENT_TIMEOUT"]
    assert max(T["REDIS_CONNECT_TIMEOUT"], T["REDIS_TIMEOUT"]) < T["DB_CONNECT_TIMEOUT"]
    assert T["DB_STATEMENT_TIMEOUT"] < T["DB_IDLE_IN_TRANSACTION_TIMEOUT"] < T["GUNICORN_TIMEOUT"]
    assert redis + database < T["GUNICORN_TIMEOUT"] < T["NGINX_PROXY_READ_TIMEOUT"]
    assert T["NGINX_PROXY_CONNECT_TIMEOUT"] < T["NGINX_PROXY_READ_TIMEOUT"]


def test_an_environment_variable_overrides_a_declared_timeout():
    assert timeouts({"GUNICORN_TIMEOUT": "45"})["GUNICORN_TIMEOUT"] == 45
    assert timeouts({})["GUNICORN_TIMEOUT"] == T["GUNICORN_TIMEOUT"]


def test_the_native_stack_renders_nginx_timeouts_from_the_declarations(tmp_path):
    stack = Stack.from_env({"STACK_DIR": str(tmp_path)})
    render.render_nginx(stack, image_max_bytes=1024)
    lines = stack.path("etc", "nginx", "timeouts.conf").read_text().splitlines()
    assert f"proxy_read_timeout {int(T['NGINX_PROXY_READ_TIMEOUT'])}s;" in lines
    assert f"proxy_connect_timeout {int(T['NGINX_PROXY_CONNECT_TIMEOUT'])}s;" in lines
    assert f'map "" $tweetstack_retry_after {{ default {int(T["RETRY_AFTER"])}; }}' in lines


@pytest.mark.django_db
def test_database_sessions_run_with_the_declared_server_side_timeouts():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        statement = cursor.fetchone()[0]
        cursor.execute("SHOW idle_in_transaction_session_timeout")
        idle = cursor.fetchone()[0]
    assert statement == f"{int(T['DB_STATEMENT_TIMEOUT'])}s"
    assert idle == f"{int(T['DB_IDLE_IN_TRANSACTION_TIMEOUT'])}s"
    assert connection.connection.info.get_parameters()["connect_timeout"] == str(int(T["DB_CONNECT_TIMEOUT"]))
