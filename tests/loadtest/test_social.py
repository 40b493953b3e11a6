"""bench-social's pieces that need no stack: the graph's shape, the mix, what counts as an error, the
report."""

import http.server
import json
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest

from loadtest import bench_scale, bench_social, social_measure, social_mix, social_report, stack_counters
from loadtest.bench_scale import Measurement
from loadtest.open_loop import percentile, summarize
from loadtest.social_graph import Graph, username
from loadtest.social_mix import Prepared, Request, expected, requests
from loadtest.social_report import write_report


def _prepared(graph: Graph) -> Prepared:
    return Prepared(
        csrf="c" * 32,
        sessions={user: f"session{user}" for user in range(0, graph.users, 3)},
        fanout={0: "author0"},
        tweet_ids=[11, 12, 13],
        fanout_threshold=10_000,
    )


def test_the_same_seed_gives_the_same_graph_and_another_seed_another():
    first, again, other = Graph(300, 100, seed=1), Graph(300, 100, seed=1), Graph(300, 100, seed=2)
    assert list(first.following()) == list(again.following())
    assert list(first.authors()) == list(again.authors())
    assert list(first.following()) != list(other.following())


def test_followers_follow_a_power_law_a_few_accounts_have_most_followers():
    shape = Graph(2000, 0).shape()
    assert shape["top_account_followed_by"] > 0.3
    assert shape["median_followers"] <= 20
    assert shape["top_1pct_share_of_follows"] > 0.2


def test_nobody_follows_themselves_or_anyone_twice_and_the_counters_match_the_rows():
    graph = Graph(500, 0)
    followers, following = graph.counts
    rows = Counter()
    for user, followees in graph.following():
        assert user not in followees and len(set(followees)) == len(followees)
        assert following[user] == len(followees)
        rows.update(followees)
    assert [rows[user] for user in range(graph.users)] == followers


def test_every_tweet_has_an_author_of_the_graph():
    authors = list(Graph(50, 1234).authors())
    assert len(authors) == 1234 and set(authors) <= set(range(50))


@pytest.mark.parametrize(("users", "tweets"), [(1, 10), (10, -1)])
def test_an_impossible_graph_is_refused_with_a_clear_error(users, tweets):
    with pytest.raises(ValueError, match=r"users|negative"):
        Graph(users, tweets)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--users", "1"], "--users: must be at least 2, not 1"),
        (["--fanout", "0", "-5"], "--fanout: must be at least 0, not -5"),
        (["--duration", "0"], "--duration: must be at least"),
        (["--sessions", "many"], "--sessions: invalid"),
    ],
)
def test_the_command_refuses_an_impossible_size_with_a_clear_message(arguments, message, capsys):
    with pytest.raises(SystemExit):
        bench_social.parser().parse_args(arguments)
    assert message in capsys.readouterr().err


def test_the_mix_has_the_deathstarbench_ratios_and_every_request_is_logged_in():
    graph = Graph(200, 0)
    listed = requests(graph, _prepared(graph), "social", 10_000, seed=3)
    kinds = Counter(request.kind for request in listed)
    assert set(kinds) == {"home", "user", "post"}
    assert kinds["home"] / 10_000 == pytest.approx(0.6, abs=0.02)
    assert kinds["user"] / 10_000 == pytest.approx(0.3, abs=0.02)
    assert kinds["post"] / 10_000 == pytest.approx(0.1, abs=0.02)
    assert all(request.cookie.startswith("sessionid=session") for request in listed)
    assert all(
        "csrfmiddlewaretoken=" + "c" * 32 in request.body for request in listed if request.method == "POST"
    )


@pytest.mark.parametrize("mix", social_mix.MIXES)
def test_a_short_run_sends_every_type_of_its_mix_first(mix):
    graph = Graph(200, 0)
    listed = requests(graph, _prepared(graph), mix, 1000, seed=3)
    assert len(listed) == 1000
    assert {r.kind for r in listed[: len(social_mix.MIXES[mix])]} == set(social_mix.MIXES[mix])


def test_the_variant_likes_recent_tweets_and_follows_someone_else():
    graph = Graph(200, 0)
    listed = requests(graph, _prepared(graph), "social+likes+follows", 2000, seed=3)
    likes = [r.path for r in listed if r.kind == "like"]
    follows = [r for r in listed if r.kind == "follow"]
    assert likes and set(likes) <= {f"/tweets/{tweet}/like/" for tweet in (11, 12, 13)}
    assert follows and all(r.path.startswith("/@bench") and r.path.endswith("/follow") for r in follows)
    for request in follows:
        reader = int(request.cookie.split(";")[0].removeprefix("sessionid=session"))
        assert request.path != f"/@{username(reader)}/follow"


def test_the_conversation_variant_replies_to_and_reposts_recent_tweets():
    graph = Graph(200, 0)
    listed = requests(graph, _prepared(graph), "social+replies+reposts", 2000, seed=3)
    replies = [r for r in listed if r.kind == "reply"]
    reposts = [r.path for r in listed if r.kind == "repost"]
    assert replies and {r.path for r in replies} <= {f"/tweets/{tweet}/reply/" for tweet in (11, 12, 13)}
    assert all("text=Benchmark+reply" in r.body for r in replies)
    assert reposts and set(reposts) <= {f"/tweets/{tweet}/repost/" for tweet in (11, 12, 13)}
    classified = {social_mix.classify(r.method, r.path) for r in listed}
    assert classified == set(social_mix.MIXES["social+replies+reposts"])


def test_posts_mention_someone_else_popular_accounts_most():
    graph = Graph(200, 0)
    posts = [r for r in requests(graph, _prepared(graph), "social", 3000, seed=3) if r.kind == "post"]
    mentioned = Counter()
    for post in posts:
        reader = int(post.cookie.split(";")[0].removeprefix("sessionid=session"))
        name = post.body.rsplit("%40", 1)[1]
        assert name != username(reader)
        mentioned[name] += 1
    followers, _ = graph.counts
    top_tenth = sorted(range(graph.users), key=followers.__getitem__)[-graph.users // 10 :]
    share = sum(mentioned[username(user)] for user in top_tenth) / len(posts)
    assert share > 0.25, f"the most followed tenth of the accounts got {share:.0%} of the mentions"


def test_every_kind_of_request_has_a_name_in_the_report():
    assert set(social_report.KIND_NAMES) == set(social_mix.KINDS)


@pytest.mark.parametrize(
    ("kind", "status", "location", "ok"),
    [
        ("home", 200, "", True),
        ("home", 302, "/explore/", False),  # the session was not recognised
        ("post", 302, "/", True),
        ("post", 302, "/accounts/login/?next=/tweets/", False),
        ("post", 429, "", False),
        ("like", 302, "/", True),
        ("repost", 302, "/", True),
        ("reply", 302, "/tweets/12/", True),
        ("reply", 302, "/", False),
        ("reply", 400, "", False),
        ("follow", 302, "/@bench000001", True),
        ("follow", 404, "", False),
    ],
)
def test_a_success_is_a_reads_200_or_a_forms_redirect_never_the_login_page(kind, status, location, ok):
    assert expected(kind, status, location) is ok


def _vegeta_line(method: str, path: str, code: int, ms: float, location: str = "", error: str = "") -> str:
    headers = {"Location": [location]} if location else {}
    return json.dumps(
        {
            "method": method,
            "url": f"http://127.0.0.1:8080{path}",
            "code": code,
            "latency": int(ms * 1e6),
            "timestamp": "2026-12-02T07:00:00Z",
            "error": error,
            "headers": headers,
        }
    )


def test_vegetas_results_are_summed_up_per_request_type_with_lost_sessions_as_errors():
    lines = [_vegeta_line("GET", "/", 200, ms) for ms in range(1, 101)]
    lines += [_vegeta_line("GET", "/@bench000002", 200, 5)]
    lines += [
        _vegeta_line("POST", "/tweets/", 302, 9, "/"),
        _vegeta_line("POST", "/tweets/", 302, 7, "/accounts/login/"),
    ]
    lines += [_vegeta_line("GET", "/", 0, 10_000, error="timeout")]
    result = summarize(lines, "social", rate=10, duration=10)
    assert result.overall.requests == 104 and result.achieved_rps == pytest.approx(10.4)
    assert result.by_kind["home"].requests == 101 and result.by_kind["home"].errors == 1
    assert result.by_kind["post"].errors == 1 and result.by_kind["user"].errors == 0
    assert result.errors == 2
    assert result.by_kind["home"].p50_ms == 51 and result.by_kind["home"].p99_ms == 100
    assert any("/accounts/login/" in sample for sample in result.error_samples)


def test_percentiles_are_nearest_rank():
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) == 0.0


def _run(users: int, tweets: int, errors: int = 0) -> social_measure.SocialRun:
    graph = Graph(users, 0)
    line = [_vegeta_line("GET", "/", 200, 20)] * 9 + [
        _vegeta_line("POST", "/tweets/", 302 if not errors else 500, 30, "/")
    ]
    opened = [summarize(line, mix, rate=5, duration=2) for mix in social_mix.MIXES]
    opened[0].redis_commands_per_request, opened[0].timeline_hit_ratio = 3.5, 0.9
    closed = [social_measure.ClosedLoop(mix, 16, 2, 40.0, 10, 20, 30, 80, 0) for mix in social_mix.MIXES]
    ceiling = Measurement(2, "/healthz", 16, 400.0, 1, 2, 3, 0, 800, 50.0)
    posts = [social_measure.FanoutPost(0, True, summarize(line[-1:], "post-0-followers", rate=1, duration=1))]
    shape = graph.shape() | {"tweets": tweets}
    observability = []
    for label, cpu in (("off", 10.0), ("sampled", 10.5), ("all", 12.0)):
        result = summarize(line, label, rate=5, duration=2)
        result.cpu_ms_per_request = cpu
        observability.append(social_measure.Observed(label, closed[0], result))
    return social_measure.SocialRun(
        shape, {"copy_s": 1, "timelines_s": 2, "prepare_s": 4}, ceiling, closed, opened, posts, observability
    )


SETTINGS = {
    "replicas": 2,
    "load_average": (1.5, 2.5),
    "workers_per_replica": 1,
    "connections": 16,
    "duration_s": 2,
    "sessions": 10,
    "rate_limits": bench_social.RAISED_RATE_LIMITS,
}


def test_a_smoke_size_report_says_it_is_not_the_benchmark_and_has_every_table(tmp_path):
    growth = [(Graph(n, 0).shape(), _run(n, 0).open[0]) for n in (50, 100)]
    report = write_report(
        tmp_path,
        run=_run(100, 500, errors=1),
        growth=growth,
        settings=SETTINGS,
        machine=MACHINE,
        versions={},
        started=NOW,
    )
    text = report.read_text()
    assert "Smoke-size run, not the benchmark" in text
    assert "Load average (1 min) at the start and the end: 1.5 and 2.5" in text
    assert "| social | 40.0 |" in text and "| ceiling /healthz | 400.0 |" in text
    assert "post (POST /tweets/)" in text and "| 0 | fan-out on write |" in text
    assert "| 100 | 0 | 5 |" in text  # the growth table's second size
    assert "**missed**: zero errors" in text
    assert "| 3.5 | 90% |" in text  # Redis commands per request and the timeline cache's hits
    # Observability's cost: CPU per request against the first setting's, each judged by the target.
    assert "| sampled | 40.0 | +0.0% | 5 |" in text and "| 10.5 | +5.0% |" in text
    assert "met: observability overhead ≤ 10% (sampled): CPU per request +5%" in text
    assert "**missed**: observability overhead ≤ 10% (all): CPU per request +20% (10 points over)" in text
    for chart in ("social-rps.png", "social-latency.png", "social-fanout.png", "social-growth.png"):
        assert (tmp_path / chart).stat().st_size > 1000 and f"]({chart})" in text


def test_a_benchmark_size_report_is_not_marked_as_a_smoke(tmp_path):
    report = write_report(
        tmp_path,
        run=_run(10_000, 1_000_000),
        growth=[],
        settings=SETTINGS,
        machine=MACHINE,
        versions={},
        started=NOW,
    )
    text = report.read_text()
    assert "Smoke-size" not in text and "met: zero errors: 0" in text
    assert "Not measured in this run" in text


MACHINE = {"cores": 2, "memory_gib": 4, "cpu": "x86_64", "kernel": "6"}
NOW = datetime(2026, 12, 2, tzinfo=UTC)


class _Site(http.server.BaseHTTPRequestHandler):
    """Reads answer 200; a post is redirected home with the good session, to the login page without."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self._answer(200)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        good = "sessionid=good" in self.headers.get("Cookie", "")
        self._answer(302, "/" if good else "/accounts/login/?next=/tweets/")

    def _answer(self, status: int, location: str = ""):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _wrk(site: str, listed, tmp_path) -> dict:
    file = social_mix.write_wrk_requests(tmp_path / "requests.wrk", listed)
    return bench_scale.wrk(site + "/", 2, 1, social_measure.SCRIPT, (str(file),))


def test_wrk_counts_no_error_when_every_answer_is_a_success(site, tmp_path):
    listed = [
        Request("home", "GET", "/", "sessionid=good"),
        Request("post", "POST", "/tweets/", "sessionid=good", "a=b"),
    ]
    result = _wrk(site, listed, tmp_path)
    assert result["requests"] > 10 and result["unexpected"] == 0


def test_wrk_counts_a_post_sent_to_the_login_page_as_an_error(site, tmp_path):
    listed = [
        Request("home", "GET", "/", "sessionid=good"),
        Request("post", "POST", "/tweets/", "sessionid=lost", "a=b"),
    ]
    result = _wrk(site, listed, tmp_path)
    # Every other request is the lost session's post.
    assert result["unexpected"] == pytest.approx(result["requests"] / 2, abs=4)


def test_counters_around_a_measurement_are_per_request_and_a_run_without_timeline_reads_has_no_hit_ratio():
    before = stack_counters.Snapshot(
        redis_commands=100, sql_statements=20, timeline_hits=10, timeline_misses=5
    )
    after = stack_counters.Snapshot(
        redis_commands=400, sql_statements=170, timeline_hits=37, timeline_misses=8
    )
    change = stack_counters.difference(before, after, requests=50)
    assert change.redis_commands_per_request == 6 and change.timeline_hit_ratio == 0.9
    assert change.sql_statements_per_request == 3
    assert stack_counters.difference(before, before, requests=0).timeline_hit_ratio is None


def test_the_scaling_report_shows_the_social_mix_beside_explore_and_its_observability_cost(tmp_path):
    from loadtest.report import write_report as write_scale_report

    def measured(path: str, rps: float, replicas: int = 1) -> Measurement:
        return Measurement(replicas, path, 16, rps, 5.0, 9.0, 12.0, 0, 100, 90.0)

    social = social_measure.SOCIAL_PATH
    scaling = [measured("/explore/", 100.0), measured("/healthz", 400.0), measured(social, 50.0)]
    report = write_scale_report(
        tmp_path,
        scaling=scaling,
        overhead=[scaling[0], measured("/explore/", 120.0), scaling[2], measured(social, 60.0)],
        settings={"tweets": 0, "connections": 16, "duration_s": 2, "workers_per_replica": 1}
        | {"social_users": 1000, "social_tweets": 50_000},
        machine=MACHINE,
        versions={},
        started=NOW,
    ).read_text()
    assert "| 50.0 (12.0) | 12% |" in report  # the social mix's rate, p99 and share of the ceiling
    assert "The social mix: 1,000 users and 50,000 tweets" in report
    assert "| on, social mix | 50.0 |" in report and "| off, social mix | 60.0 |" in report
