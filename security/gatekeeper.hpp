// A daemon's door: the ZAP handler that admits only registered public keys on its bound sockets
// (each judged by the socket's purpose, its ZAP domain), and the per-message check of who sent
// what. Identity comes only from what libzmq attaches to a received message after the handshake
// (its User-Id, which the handler sets to the peer's public key), never from anything inside it,
// and is looked up in the registry at each message: a key removed from the keys folder is refused
// from its next message on, even on a connection opened before. The folder is re-read when it
// changes. Refusals are counted (shown by `jupiter status`) and logged at most once a second.
//
// Bind order matters: libzmq consults a ZAP handler only if one is bound when a handshake starts,
// so the Gatekeeper is constructed before Wiring (which takes it) opens any socket.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "common/clock.hpp"
#include "security/credentials.hpp"
#include "common/doc.hpp"
#include "common/event_loop.hpp"
#include "security/identity.hpp"
#include "security/key_registry.hpp"

namespace jupiter {

// The public key libzmq attached to a received frame (empty without CURVE).
std::string_view senderKeyOf(const zmq::message_t& frame);

class Gatekeeper {
public:
    Gatekeeper(zmq::context_t& ctx, const Config& config, Credentials credentials, std::shared_ptr<spdlog::logger> log,
               const Clock& clock);

    // Watches a bound socket (Wiring calls it for each): handshakes that fail before ZAP (a peer
    // without CURVE, or with a wrong server key) are counted and logged as refused, and a
    // connection that cannot be accepted (out of descriptors) is logged; libzmq accepts again
    // once descriptors are free. Open connections are counted per source address: one beyond
    // `[security] max_connections_per_peer` is shut down as soon as it is accepted (libzmq then
    // closes it; its failed handshake is counted), so no one address can hold every descriptor
    // or every handshake buffer of a socket.
    void watch(zmq::socket_t& bound, std::string_view what);
    // Serves ZAP requests, the watched sockets' events and the keys folder from `loop`.
    void attach(EventLoop& loop);

    // The registered identity behind `senderKey` (mode none: a trusted local peer), or nullptr,
    // refused: counted and logged.
    const Identity* sender(std::string_view senderKey, std::string_view what);
    // Whether `who` may do `a`: its role allows it, or security is off (mode none trusts every
    // local peer). The one rule every check of a request uses.
    bool permits(const Identity& who, Action a) const { return !credentials_.curve() || allows(a, who.role); }
    // The sender if it may do `a`, else nullptr (counted and logged).
    const Identity* authorise(std::string_view senderKey, Action a);
    // As authorise, for a frame received on one of this daemon's bound sockets.
    const Identity* authorise(const zmq::message_t& frame, Action a) { return authorise(senderKeyOf(frame), a); }
    // Counts and logs a refusal decided by the caller (a heartbeat under another node's name).
    void refuse(const Identity* who, std::string_view what);

    const Credentials& credentials() const { return credentials_; }
    // Every registered identity (reloaded when the keys folder changes).
    const KeyRegistry& registry() const { return registry_; }
    uint64_t refusedHandshakes() const { return refusedHandshakes_; }
    uint64_t refusedMessages() const { return refusedMessages_; }
    uint64_t acceptFailures() const { return acceptFailures_; }
    // {"handshakes": n, "messages": m}, for pongs.
    Doc refusedDoc() const;

    // Handles waiting ZAP requests (public for tests driving it without a loop).
    void onZap();
    void reloadIfChanged();

private:
    struct Watch {
        std::string what;
        zmq::socket_t events;
        int port = 0;  // the TCP port it is bound to (0: not TCP)
        std::unordered_map<int, std::string> addressOf;   // open connection (its descriptor) -> source address
        std::unordered_map<std::string, int> openFrom;    // source address -> open connections
    };
    void onAccepted(Watch& w, int fd);
    void onClosed(Watch& w, int fd);
    void reload();
    void onWatchEvents(Watch& w);
    void logLimited(std::string line);

    const Config& config_;
    Credentials credentials_;
    std::shared_ptr<spdlog::logger> log_;
    const Clock& clock_;
    zmq::context_t& ctx_;
    zmq::socket_t zap_;  // REP at inproc://zeromq.zap.01 (curve only)
    // inotify on the keys folder (curve only): a revoked or added key is seen at once, and an idle
    // daemon does not list the folder over and over. Null: inotify unavailable, the folder is looked at
    // every kKeysCheckEvery instead.
    std::shared_ptr<int> keysWatch_;
    KeyRegistry registry_;
    std::deque<Watch> watches_;  // stable addresses: the loop holds references
    Identity local_{"local", PeerRole::Admin, "", ""};  // every peer in mode none
    uint64_t refusedHandshakes_ = 0;
    uint64_t refusedMessages_ = 0;
    uint64_t acceptFailures_ = 0;
    TimePoint lastLog_{};
    uint64_t suppressed_ = 0;
};

}  // namespace jupiter
