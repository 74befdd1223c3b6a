// Small helpers around cppzmq used by every daemon: sockets with Jupiter's standard options, and
// sending/receiving whole multipart messages without blocking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

namespace jupiter {

using Frames = std::vector<zmq::message_t>;

// How long a connection may take to complete its handshake (libzmq's default is 30 s): what a
// stranger's half-sent handshake holds is given back within this.
inline constexpr int kHandshakeMs = 3000;

// A socket with linger 0 (a dying daemon must not hang on unsent messages), ZMQ_MAXMSGSIZE set to
// kMaxMessageBytes (bound sockets: smaller, see links.cpp), the handshake within kHandshakeMs, and
// IPv6 off.
zmq::socket_t makeSocket(zmq::context_t& ctx, zmq::socket_type type);

// Receives one whole multipart message without blocking; nullopt when none is waiting.
std::optional<Frames> recvFrames(zmq::socket_t& s);

// libzmq signals a socket's readiness through its ZMQ_FD once, and any operation on the socket (a
// send, a receive, a connect) may take that signal. The event loop (common/event_loop.hpp) therefore
// asks the sockets this thread used since its last turn directly. sendFrames, Credentials::connect
// and a recvFrames that took a message note their socket here (anything else that operates on a
// polled socket must); a recvFrames that found nothing clears the note: from then on, the fd
// signals the next message.
void noteSocketUsed(zmq::socket_t& s);
// Whether this thread noted socket `handle` (a libzmq handle) since the last call for it; the note
// is taken (several loops in one thread, as in the in-process tests, each take their own).
bool takeSocketUsed(void* handle);

// How many messages one wake-up of a handler takes from its socket at most, so that one busy
// socket cannot starve the others in the loop.
inline constexpr std::size_t kDrainRequests = 1024;  // client requests, replies, commands
inline constexpr std::size_t kDrainBus = 4096;       // the broker's event relay
inline constexpr std::size_t kDrainControl = 256;    // pings, status, pongs
inline constexpr std::size_t kDrainSmall = 64;       // replay replies, connection events

// Hands up to `max` waiting messages of `s` to `handle` (one Frames each) without blocking.
// Returns how many it handled.
template <class Handler>
std::size_t drain(zmq::socket_t& s, std::size_t max, Handler&& handle) {
    std::size_t n = 0;
    for (; n < max; ++n) {
        auto frames = recvFrames(s);
        if (!frames) break;
        handle(std::move(*frames));
    }
    return n;
}

// Sends a multipart message without blocking. Returns false when it would block or the peer is
// unroutable (ROUTER_MANDATORY); the message is then dropped.
bool sendFrames(zmq::socket_t& s, Frames& frames);
bool sendFrames(zmq::socket_t& s, std::initializer_list<std::string_view> parts);

inline std::string_view view(const zmq::message_t& m) { return {static_cast<const char*>(m.data()), m.size()}; }
inline zmq::message_t msg(std::string_view s) { return zmq::message_t(s.data(), s.size()); }

// One event from a zmq_socket_monitor PAIR socket: [event id (2 bytes) + value (4 bytes), endpoint].
struct SocketEvent {
    uint16_t event = 0;  // ZMQ_EVENT_*
    uint32_t value = 0;  // errno, fd or status code, by event
    std::string endpoint;
};
// Starts watching `s`'s connection events (a ZMQ_EVENT_* mask) on a new PAIR socket, which
// recvSocketEvent reads; call before `s` binds or connects so that no event is missed.
zmq::socket_t watchEvents(zmq::context_t& ctx, zmq::socket_t& s, int eventMask);
// The next well-formed event without blocking; nullopt when none is waiting.
std::optional<SocketEvent> recvSocketEvent(zmq::socket_t& monitorPair);

// The endpoint a socket actually bound (resolves tcp://127.0.0.1:* to the chosen port).
std::string lastEndpoint(zmq::socket_t& s);
// A libzmq socket's type and the endpoint it last bound or connected, e.g. "SUB, tcp://10.0.0.2:7001",
// for diagnostics (neither read takes the socket's pending signal).
std::string describeSocket(void* handle);

}  // namespace jupiter
