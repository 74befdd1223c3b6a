// Stand-ins for the servers a client talks to, on free loopback ports: a ROUTER that answers pings
// and requests (FakeServer), a listener that never handshakes (StoppedServer), and a port where
// nothing listens (closedEndpoint). Used by the client's and the CLI's tests.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.hpp>

#include "bus/request.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/zmq_util.hpp"
#include "schemas/envelope.hpp"

namespace jupiter::testing {

// Answers pings at once (unless deaf) and requests once `answerAfter` has passed since the first
// one (never, if negative); counts the requests and remembers their ids.
class FakeServer {
public:
    FakeServer(zmq::context_t& ctx, Millis answerAfter, bool deaf = false, std::string refuseWith = "")
        : sock_(makeSocket(ctx, zmq::socket_type::router)), deaf_(deaf), refuseWith_(std::move(refuseWith)) {
        sock_.bind("tcp://127.0.0.1:*");
        endpoint_ = lastEndpoint(sock_);
        thread_ = std::thread([this, answerAfter] { run(answerAfter); });
    }
    ~FakeServer() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        sock_.close();  // the client sees the connection go
    }
    const std::string& endpoint() const { return endpoint_; }
    int requests() const { return requests_; }
    int pings() const { return pings_; }
    std::string lastId() const {
        std::lock_guard lock(m_);
        return lastId_;
    }

private:
    void run(Millis answerAfter) {
        std::vector<std::pair<Request, Envelope>> pending;
        auto firstSeen = std::chrono::steady_clock::now();
        while (!stop_) {
            zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, Millis(5));
            while (auto frames = recvFrames(sock_)) {
                auto req = splitRequest(std::move(*frames));
                if (!req) continue;
                auto env = decodeEnvelopeHeader(req->bytes);
                if (!env) continue;
                if (env->kind == Kind::Control && env->name == "ping") {
                    ++pings_;
                    if (!deaf_) sendReply(sock_, req->route, makePong(*env, "fake", 0));
                    continue;
                }
                if (++requests_ == 1) firstSeen = std::chrono::steady_clock::now();
                {
                    std::lock_guard lock(m_);
                    lastId_ = env->id;
                }
                if (!refuseWith_.empty()) {
                    sendReply(sock_, req->route, makeErrorReply(env->name, env->id, makeError(refuseWith_, "no")));
                    continue;
                }
                pending.emplace_back(std::move(*req), std::move(*env));
            }
            if (answerAfter.count() >= 0 && std::chrono::steady_clock::now() - firstSeen >= answerAfter) {
                for (auto& [req, env] : pending) sendReply(sock_, req.route, makeReply(env, Doc{{"seq", 5}}));
                pending.clear();
            }
        }
    }

    zmq::socket_t sock_;
    bool deaf_;
    std::string refuseWith_;  // answer every request with this error code at once
    std::string endpoint_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::atomic<int> pings_{0};
    mutable std::mutex m_;
    std::string lastId_;
};

// A server that is stopped (SIGSTOP): its kernel accepts TCP connections into the listen backlog,
// but nothing ever answers the ZMTP handshake.
class StoppedServer {
public:
    StoppedServer() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof(addr);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        endpoint_ = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    }
    ~StoppedServer() { ::close(fd_); }
    StoppedServer(const StoppedServer&) = delete;
    StoppedServer& operator=(const StoppedServer&) = delete;
    const std::string& endpoint() const { return endpoint_; }

private:
    int fd_;
    std::string endpoint_;
};

// A loopback port nothing listens on: a connection there is refused. The listener is bound and
// closed in a context of its own, whose end waits until it is gone (a socket's close alone leaves
// it to libzmq's I/O thread, which may still accept a connection for a moment).
inline std::string closedEndpoint() {
    zmq::context_t own(1);
    auto probe = makeSocket(own, zmq::socket_type::router);
    probe.bind("tcp://127.0.0.1:*");
    const std::string endpoint = lastEndpoint(probe);
    probe.close();
    own.close();
    return endpoint;
}

}  // namespace jupiter::testing
