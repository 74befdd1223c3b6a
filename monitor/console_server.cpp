// The monitor's web console over HTTP; see console_server.hpp.
#include "monitor/console_server.hpp"

#include <civetweb.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/config.hpp"
#include "common/doc.hpp"
#include "common/http_stop.hpp"

namespace jupiter {

namespace {

// What every answer carries: nothing cached, no sniffing, no framing, and no Referer that could
// carry the token elsewhere (the page fetches nothing from anywhere else anyway).
constexpr std::string_view kCommonHeaders =
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:\r\n"
    "Connection: close\r\n";

bool writeAll(mg_connection* conn, std::string_view text) {
    return mg_write(conn, text.data(), text.size()) == static_cast<int>(text.size());
}

int respond(mg_connection* conn, int status, std::string_view reason, std::string_view type, std::string_view body,
            bool head = false) {
    writeAll(conn, fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}\r\n", status, reason,
                               type, body.size(), kCommonHeaders));
    if (!head) writeAll(conn, body);
    return status;
}

int respondError(mg_connection* conn, int status, std::string_view reason, std::string_view code,
                 const std::string& message, const std::string& path) {
    const Doc body = {{"error", {{"code", code}, {"message", message}, {"path", path}}}};
    return respond(conn, status, reason, "application/json", body.dump(-1, ' ', false, Doc::error_handler_t::replace));
}

bool sameToken(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string sseEvent(std::string_view event, std::string_view json) {
    return fmt::format("event: {}\ndata: {}\n\n", event, json);
}

}  // namespace

Result<std::unique_ptr<ConsoleServer>> ConsoleServer::start(Options options) {
    const auto at = hostPort(options.address);
    if (!at)
        return makeError("console", fmt::format("cannot serve the console at \"{}\": use HOST:PORT, e.g. "
                                                "\"127.0.0.1:8080\" (the monitor's `console` in jupiter.toml)",
                                                options.address));
    std::unique_ptr<ConsoleServer> server(new ConsoleServer(std::move(options)));
    const std::string ports = at->host == "0.0.0.0" || at->host.empty() ? std::to_string(at->port)
                                                                          : fmt::format("{}:{}", at->host, at->port);
    // Threads: one per open stream, and a few for pages and /state beside them.
    const std::string threads = std::to_string(server->options_.maxStreams + 4);
    const char* config[] = {"listening_ports", ports.c_str(), "num_threads", threads.c_str(),
                            "request_timeout_ms", "10000", "enable_keep_alive", "no", nullptr};
    mg_callbacks callbacks{};
    // civetweb prints its own errors to stderr unless told otherwise; the error comes back below.
    callbacks.log_message = [](const mg_connection*, const char*) { return 1; };
    mg_init_data init{};
    init.callbacks = &callbacks;
    init.user_data = server.get();
    init.configuration_options = config;
    char text[256] = {};
    unsigned code = 0;
    mg_error_data error{&code, text, sizeof text};
    server->ctx_ = mg_start2(&init, &error);
    if (!server->ctx_)
        return makeError("console", fmt::format("cannot serve the console at {}: {} (is the port taken? change the "
                                                "monitor's `console` in jupiter.toml)",
                                                server->options_.address, text[0] ? text : "civetweb did not start"));
    mg_set_request_handler(server->ctx_, "/", &ConsoleServer::onRequest, server.get());
    mg_server_port bound[4] = {};
    const int n = mg_get_server_ports(server->ctx_, 4, bound);
    if (n > 0) server->port_ = bound[0].port;
    return server;
}

ConsoleServer::ConsoleServer(Options options) : options_(std::move(options)) {}

ConsoleServer::~ConsoleServer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    if (!ctx_) return;
    const auto at = hostPort(options_.address);
    stopWaking(at ? at->host : std::string("127.0.0.1"), port_, [this] { mg_stop(ctx_); });
}

bool ConsoleServer::watched() {
    std::lock_guard lock(mutex_);
    const bool asked = stateAsked_;
    stateAsked_ = false;
    return streams_ > 0 || asked;
}

void ConsoleServer::publishState(std::string json) {
    {
        std::lock_guard lock(mutex_);
        state_ = std::move(json);
        ++stateVersion_;
    }
    changed_.notify_all();
}

void ConsoleServer::publishTransition(std::string json) {
    {
        std::lock_guard lock(mutex_);
        transitions_.emplace_back(++lastTransition_, std::move(json));
        while (transitions_.size() > kHistory) transitions_.pop_front();
    }
    changed_.notify_all();
}

int ConsoleServer::onRequest(mg_connection* conn, void* self) { return static_cast<ConsoleServer*>(self)->serve(conn); }

bool ConsoleServer::authorized(mg_connection* conn) const {
    if (options_.token.empty()) return true;
    if (const char* auth = mg_get_header(conn, "Authorization")) {
        const std::string_view value(auth);
        if (value.starts_with("Bearer ") && sameToken(value.substr(7), options_.token)) return true;
    }
    const mg_request_info* info = mg_get_request_info(conn);
    if (info->query_string) {
        std::vector<char> token(256);
        const int n = mg_get_var(info->query_string, std::strlen(info->query_string), "token", token.data(),
                                 token.size());
        if (n > 0 && sameToken(std::string_view(token.data(), static_cast<std::size_t>(n)), options_.token))
            return true;
    }
    return false;
}

int ConsoleServer::serve(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    const std::string method = info->request_method ? info->request_method : "";
    const std::string path = info->local_uri ? info->local_uri : "";
    if (method != "GET" && method != "HEAD")
        return respondError(conn, 405, "Method Not Allowed", "method_not_allowed",
                            fmt::format("the console is read-only: {} is not served, only GET", method), path);
    if (!authorized(conn))
        return respondError(conn, 401, "Unauthorized", "unauthorized",
                            "this console is not on loopback: add ?token= with the token in the keys folder's "
                            "console.token (`jupiter console` prints the whole address)",
                            path);
    if (path == "/" || path == "/index.html")
        return respond(conn, 200, "OK", "text/html; charset=utf-8", options_.page, method == "HEAD");
    if (path == "/state") return serveState(conn);
    if (path == "/events") return serveEvents(conn);
    return respondError(conn, 404, "Not Found", "not_found",
                        fmt::format("the console serves /, /state and /events, not {}", path), path);
}

int ConsoleServer::serveState(mg_connection* conn) {
    std::unique_lock lock(mutex_);
    const uint64_t seen = stateVersion_;
    stateAsked_ = true;
    // The monitor publishes at its next heartbeat tick once it sees the ask.
    changed_.wait_for(lock, std::chrono::seconds(2), [&] { return stopping_ || stateVersion_ > seen; });
    if (state_.empty()) {
        lock.unlock();
        return respondError(conn, 503, "Service Unavailable", "no_state",
                            "the monitor has published no state yet: try again in a moment", "/state");
    }
    const std::string body = state_;
    lock.unlock();
    return respond(conn, 200, "OK", "application/json", body);
}

int ConsoleServer::serveEvents(mg_connection* conn) {
    std::unique_lock lock(mutex_);
    if (streams_ >= options_.maxStreams) {
        lock.unlock();
        return respondError(conn, 503, "Service Unavailable", "too_many_streams",
                            fmt::format("{} consoles are open already (the most at once): close one",
                                        options_.maxStreams),
                            "/events");
    }
    ++streams_;
    lock.unlock();
    std::string out = fmt::format("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{}\r\nretry: 1000\n\n",
                                  kCommonHeaders);
    lock.lock();
    uint64_t sentVersion = 0;
    uint64_t sentTransition = 0;
    bool open = true;
    while (open && !stopping_) {
        if (stateVersion_ != sentVersion && !state_.empty()) {
            out += sseEvent("state", state_);
            sentVersion = stateVersion_;
        }
        for (const auto& [n, json] : transitions_)
            if (n > sentTransition) out += sseEvent("transition", json);
        sentTransition = lastTransition_;
        lock.unlock();
        if (!out.empty()) open = writeAll(conn, out);
        out.clear();
        lock.lock();
        if (!open) break;
        const bool news = changed_.wait_for(lock, options_.keepAlive, [&] {
            return stopping_ || stateVersion_ != sentVersion || lastTransition_ != sentTransition;
        });
        if (!news) out = ": still here\n\n";  // a browser that went is noticed at this write
    }
    --streams_;
    return 200;
}

}  // namespace jupiter
