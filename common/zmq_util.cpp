// Socket helpers; see zmq_util.hpp.
#include "common/zmq_util.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "common/doc.hpp"

namespace jupiter {

zmq::socket_t makeSocket(zmq::context_t& ctx, zmq::socket_type type) {
    zmq::socket_t s(ctx, type);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxMessageBytes));
    s.set(zmq::sockopt::handshake_ivl, kHandshakeMs);
    return s;
}

namespace {
thread_local std::vector<void*> used;
}  // namespace

void noteSocketUsed(zmq::socket_t& s) {
    void* h = s.handle();
    // A handler uses one or two sockets, repeatedly: keep the list short. A thread without an event
    // loop (a client's) never takes it: what it noted long ago is dropped.
    if (std::find(used.begin(), used.end(), h) != used.end()) return;
    if (used.size() >= 256) used.erase(used.begin(), used.begin() + 128);
    used.push_back(h);
}

bool takeSocketUsed(void* handle) {
    auto it = std::find(used.begin(), used.end(), handle);
    if (it == used.end()) return false;
    *it = used.back();
    used.pop_back();
    return true;
}

std::optional<Frames> recvFrames(zmq::socket_t& s) {
    Frames frames;
    while (true) {
        zmq::message_t m;
        auto r = s.recv(m, frames.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
        if (!r) {
            // Nothing waiting, even after libzmq took its pending news: from here on, its fd signals
            // the next message, whatever this thread did with the socket before.
            takeSocketUsed(s.handle());
            return std::nullopt;
        }
        noteSocketUsed(s);
        const bool more = m.more();
        frames.push_back(std::move(m));
        if (!more) break;
    }
    return frames;
}

bool sendFrames(zmq::socket_t& s, Frames& frames) {
    noteSocketUsed(s);
    try {
        for (std::size_t i = 0; i < frames.size(); ++i) {
            auto flags = zmq::send_flags::dontwait;
            if (i + 1 < frames.size()) flags = flags | zmq::send_flags::sndmore;
            if (!s.send(frames[i], flags)) return false;
        }
        return true;
    } catch (const zmq::error_t&) {
        return false;  // EHOSTUNREACH under ROUTER_MANDATORY: the peer is gone
    }
}

bool sendFrames(zmq::socket_t& s, std::initializer_list<std::string_view> parts) {
    Frames frames;
    frames.reserve(parts.size());
    for (auto p : parts) frames.push_back(msg(p));
    return sendFrames(s, frames);
}

std::string lastEndpoint(zmq::socket_t& s) { return s.get(zmq::sockopt::last_endpoint); }

std::string describeSocket(void* handle) {
    int type = -1;
    size_t size = sizeof type;
    if (zmq_getsockopt(handle, ZMQ_TYPE, &type, &size) != 0) return "unknown";
    static constexpr const char* kNames[] = {"PAIR",   "PUB",  "SUB",  "REQ",  "REP", "DEALER",
                                             "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"};
    const std::string name = type >= 0 && type < static_cast<int>(std::size(kNames))
                                 ? kNames[type]
                                 : fmt::format("type {}", type);
    char endpoint[256] = {};
    size = sizeof endpoint;
    if (zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0 || endpoint[0] == '\0') return name;
    return fmt::format("{}, {}", name, endpoint);
}

zmq::socket_t watchEvents(zmq::context_t& ctx, zmq::socket_t& s, int eventMask) {
    static std::atomic<unsigned> counter{0};
    auto events = makeSocket(ctx, zmq::socket_type::pair);
    const std::string ep = fmt::format("inproc://jupiter-socket-events-{}", counter++);
    if (zmq_socket_monitor(s.handle(), ep.c_str(), eventMask) != 0)
        throw std::runtime_error("cannot watch the connection events of a socket");
    events.connect(ep);
    return events;
}

std::optional<SocketEvent> recvSocketEvent(zmq::socket_t& monitorPair) {
    while (auto frames = recvFrames(monitorPair)) {
        if (frames->size() != 2 || (*frames)[0].size() < 6) continue;
        SocketEvent e;
        std::memcpy(&e.event, (*frames)[0].data(), sizeof e.event);
        std::memcpy(&e.value, static_cast<const char*>((*frames)[0].data()) + sizeof e.event, sizeof e.value);
        e.endpoint = std::string(view((*frames)[1]));
        return e;
    }
    return std::nullopt;
}

}  // namespace jupiter
