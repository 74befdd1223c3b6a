// The console's HTTP server on a real loopback port, read with plain sockets: the page, the state,
// the event stream (history, then each new transition at once), the token, the stream limit, and
// structured errors for what it does not serve.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "http_peer.hpp"
#include "monitor/console_server.hpp"

using namespace jupiter;

namespace {

using testing::HttpPeer;

std::string get(const std::string& path, const std::string& headers = "") { return testing::httpGet(path, headers); }

std::unique_ptr<ConsoleServer> startServer(std::string token = "", int maxStreams = 8) {
    ConsoleServer::Options o;
    o.address = "127.0.0.1:0";
    o.token = std::move(token);
    o.page = "<!doctype html><title>Jupiter console</title>";
    o.maxStreams = maxStreams;
    auto s = ConsoleServer::start(std::move(o));
    REQUIRE(s.ok());
    REQUIRE((*s)->port() > 0);
    return std::move(*s);
}

}  // namespace

TEST_CASE("console server: the page, the state once published, and JSON errors for the rest") {
    auto server = startServer();
    const int port = server->port();
    std::string page = HttpPeer(port, get("/")).readAll();
    CHECK(page.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(page.find("Content-Type: text/html") != std::string::npos);
    CHECK(page.find("Content-Security-Policy: default-src 'none'") != std::string::npos);
    CHECK(page.find("<title>Jupiter console</title>") != std::string::npos);

    // GET /state asks the monitor for the state, and waits for it.
    CHECK_FALSE(server->watched());
    std::thread monitor([&] {
        for (int i = 0; i < 500 && !server->watched(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        server->publishState(R"({"head":42})");
    });
    std::string state = HttpPeer(port, get("/state")).readAll();
    monitor.join();
    CHECK(state.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(state.find("application/json") != std::string::npos);
    CHECK(state.ends_with("\r\n\r\n{\"head\":42}"));

    std::string missing = HttpPeer(port, get("/admin")).readAll();
    CHECK(missing.starts_with("HTTP/1.1 404"));
    CHECK(missing.find(R"({"error":{"code":"not_found","message":"the console serves /, /state and /events, not )"
                       R"(/admin","path":"/admin"}})") != std::string::npos);
    std::string posted = HttpPeer(port, "POST /state HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}").readAll();
    CHECK(posted.starts_with("HTTP/1.1 405"));
    CHECK(posted.find(R"("code":"method_not_allowed")") != std::string::npos);
    // Garbage is answered by civetweb itself, and the server goes on serving.
    HttpPeer(port, "\x16\x03\x01 not http at all\r\n\r\n").readAll();
    CHECK(HttpPeer(port, get("/")).readAll().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("console server: a stream gets the history, the state, then each transition as it comes") {
    auto server = startServer();
    server->publishTransition(R"({"event":"UP","node":"query-1"})");
    server->publishState(R"({"head":1})");
    HttpPeer stream(server->port(), get("/events"));
    REQUIRE(stream.readUntil("event: transition\ndata: {\"event\":\"UP\",\"node\":\"query-1\"}\n\n"));
    CHECK(stream.received.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(stream.received.find("Content-Type: text/event-stream") != std::string::npos);
    REQUIRE(stream.readUntil("event: state\ndata: {\"head\":1}\n\n"));
    CHECK(server->watched());  // a stream is open: the monitor keeps publishing the state
    server->publishTransition(R"({"event":"DOWN","node":"query-1"})");
    REQUIRE(stream.readUntil("event: transition\ndata: {\"event\":\"DOWN\",\"node\":\"query-1\"}\n\n"));
    server->publishState(R"({"head":2})");
    REQUIRE(stream.readUntil("event: state\ndata: {\"head\":2}\n\n"));
    // The history holds the last kHistory transitions only.
    for (std::size_t i = 0; i < ConsoleServer::kHistory + 5; ++i)
        server->publishTransition("{\"n\":" + std::to_string(i) + "}");
    HttpPeer late(server->port(), get("/events"));
    REQUIRE(late.readUntil("{\"n\":" + std::to_string(ConsoleServer::kHistory + 4) + "}"));
    CHECK(late.received.find("{\"n\":4}\n") == std::string::npos);
    CHECK(late.received.find("{\"n\":5}\n") != std::string::npos);
    CHECK(late.received.find("query-1") == std::string::npos);
}

TEST_CASE("console server: beyond loopback a browser must bring the token - and streams are limited") {
    const std::string token(64, 'a');
    auto server = startServer(token, 1);
    const int port = server->port();
    std::string refused = HttpPeer(port, get("/")).readAll();
    CHECK(refused.starts_with("HTTP/1.1 401"));
    CHECK(refused.find(R"("code":"unauthorized")") != std::string::npos);
    CHECK(refused.find(token) == std::string::npos);
    CHECK(HttpPeer(port, get("/?token=" + std::string(64, 'b'))).readAll().starts_with("HTTP/1.1 401"));
    CHECK(HttpPeer(port, get("/?token=" + token)).readAll().starts_with("HTTP/1.1 200 OK"));
    CHECK(HttpPeer(port, get("/", "Authorization: Bearer " + token + "\r\n")).readAll().starts_with("HTTP/1.1 200 OK"));

    server->publishState("{}");
    HttpPeer first(port, get("/events?token=" + token));
    REQUIRE(first.readUntil("event: state"));
    std::string second = HttpPeer(port, get("/events?token=" + token)).readAll();
    CHECK(second.starts_with("HTTP/1.1 503"));
    CHECK(second.find(R"("code":"too_many_streams")") != std::string::npos);
    // The server stops with a stream open (its thread is woken, not waited out).
    server.reset();
}

TEST_CASE("console server: an address it cannot serve at is an error that names it") {
    ConsoleServer::Options o;
    o.address = "127.0.0.1";
    auto bad = ConsoleServer::start(o);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("use HOST:PORT") != std::string::npos);
    auto first = startServer();
    o.address = "127.0.0.1:" + std::to_string(first->port());
    auto taken = ConsoleServer::start(o);
    REQUIRE_FALSE(taken.ok());
    CHECK(taken.error().message.find("is the port taken?") != std::string::npos);
}
