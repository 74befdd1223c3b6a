// The monitor's live web console over HTTP (civetweb, which runs its own threads): GET / is one
// self-contained page (monitor/console/console.html, compiled in; it fetches nothing else), GET
// /state the cluster's latest state as JSON, GET /events a stream of server-sent events: "state"
// (the whole state, a few times a second while anyone watches) and "transition" (each line of the
// transition log the moment the monitor writes it, after the last 200 as history). The monitor's
// event loop hands it finished JSON text (publish*), under a mutex held for a copy, so that
// a browser can never slow the loop. Read-only: nothing it serves changes the cluster.
// Bound to loopback it asks for nothing; bound elsewhere it wants the token (`?token=` or
// `Authorization: Bearer`), compared in constant time. At most `maxStreams` event streams at once;
// every refusal is a JSON error {"error": {"code", "message"}}.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

struct mg_context;
struct mg_connection;

namespace jupiter {

class ConsoleServer {
public:
    struct Options {
        std::string address;      // HOST:PORT (port 0: a free one)
        std::string token;        // empty: no token asked for
        std::string_view page;    // the HTML of GET /
        int maxStreams = 8;       // event streams open at once
        Millis keepAlive{15000};  // a comment line on a quiet stream, so that a gone browser is noticed
    };
    // Listens at once; the error names the address and what to check.
    static Result<std::unique_ptr<ConsoleServer>> start(Options options);
    // Ends every stream, then stops the server's threads.
    ~ConsoleServer();
    ConsoleServer(const ConsoleServer&) = delete;
    ConsoleServer& operator=(const ConsoleServer&) = delete;

    int port() const { return port_; }
    // True while a stream is open, or once after a GET /state came (which waits for the next
    // publishState): only then does the monitor build the state, so an unwatched console costs it
    // nothing.
    bool watched();
    void publishState(std::string json);
    void publishTransition(std::string json);

    static constexpr std::size_t kHistory = 200;  // transitions kept for a page that opens later

private:
    explicit ConsoleServer(Options options);
    static int onRequest(mg_connection* conn, void* self);
    int serve(mg_connection* conn);
    int serveState(mg_connection* conn);
    int serveEvents(mg_connection* conn);
    bool authorized(mg_connection* conn) const;

    Options options_;
    mg_context* ctx_ = nullptr;
    int port_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string state_;
    uint64_t stateVersion_ = 0;
    std::deque<std::pair<uint64_t, std::string>> transitions_;  // numbered from 1
    uint64_t lastTransition_ = 0;
    int streams_ = 0;
    bool stopping_ = false;
    bool stateAsked_ = false;
};

}  // namespace jupiter
