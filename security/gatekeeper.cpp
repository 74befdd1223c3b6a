// The gatekeeper; see gatekeeper.hpp. ZAP is specified in ZeroMQ RFC 27 (rfc.zeromq.org/spec/27).
#include "security/gatekeeper.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "common/zmq_util.hpp"

namespace jupiter {
namespace {

constexpr Millis kKeysCheckEvery{500};
constexpr Millis kLogAtMostEvery{1000};

// A short, public fingerprint of a key for log lines (never a secret: peers' public keys only).
std::string shortKey(std::string_view key) { return key.empty() ? "none" : std::string(key.substr(0, 8)) + "…"; }

}  // namespace

std::string_view senderKeyOf(const zmq::message_t& frame) {
    const char* v = zmq_msg_gets(const_cast<zmq_msg_t*>(frame.handle()), "User-Id");
    return v ? std::string_view(v) : std::string_view();
}

Gatekeeper::Gatekeeper(zmq::context_t& ctx, const Config& config, Credentials credentials,
                       std::shared_ptr<spdlog::logger> log, const Clock& clock)
    : config_(config), credentials_(std::move(credentials)), log_(std::move(log)), clock_(clock), ctx_(ctx) {
    if (!credentials_.curve()) return;
    zap_ = makeSocket(ctx, zmq::socket_type::rep);
    zap_.bind("inproc://zeromq.zap.01");
    reload();
    const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd >= 0 && inotify_add_watch(fd, config_.keysDir.c_str(),
                                     IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |
                                         IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
        log_->warn("keys: cannot watch {} for changes ({}); looking at it every {} ms instead",
                   config_.keysDir.string(), std::strerror(errno), kKeysCheckEvery.count());
        close(fd);
    } else if (fd >= 0) {
        keysWatch_ = std::shared_ptr<int>(new int(fd), [](int* p) {
            close(*p);
            delete p;
        });
    }
}

void Gatekeeper::watch(zmq::socket_t& bound, std::string_view what) {
    const int events = ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                       (credentials_.curve() ? ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL : 0);
    const std::string at = bound.get(zmq::sockopt::last_endpoint);
    const int port = at.starts_with("tcp://") ? std::atoi(at.substr(at.rfind(':') + 1).c_str()) : 0;
    watches_.push_back({std::string(what), watchEvents(ctx_, bound, events), port, {}, {}});
}

// libzmq reports each accepted connection with its descriptor, and each one that ends (whatever
// ended it: a failed or timed-out handshake, the peer, us) as disconnected with the same
// descriptor, before it closes it - so a descriptor is never reused ahead of its own end here.
void Gatekeeper::onAccepted(Watch& w, int fd) {
    std::string address = "local";  // ipc, or a peer whose address is already gone
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
        char text[INET6_ADDRSTRLEN] = "";
        if (peer.ss_family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text, sizeof text);
        else if (peer.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, text, sizeof text);
        if (text[0] != '\0') address = text;
    }
    if (auto old = w.addressOf.find(fd); old != w.addressOf.end()) onClosed(w, fd);  // its end was not seen
    const int open = ++w.openFrom[address];
    w.addressOf[fd] = address;
    if (open <= config_.maxConnectionsPerPeer) return;
    // Only the connection is ended (libzmq owns the descriptor and closes it when it sees the end),
    // and only if the descriptor is still one this socket accepted (not one reused meanwhile).
    sockaddr_storage local{};
    len = sizeof local;
    const bool ours = getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
                      (local.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port)
                       : local.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                                                     : 0) == w.port;
    if (ours) shutdown(fd, SHUT_RDWR);
    if (!credentials_.curve()) ++refusedHandshakes_;  // with CURVE its failed handshake is counted
    logLimited(fmt::format("refused a connection to {} from {}: that address already holds {} (the most one address "
                           "may, [security] max_connections_per_peer)",
                           w.what, address, open - 1));
}

void Gatekeeper::onClosed(Watch& w, int fd) {
    auto it = w.addressOf.find(fd);
    if (it == w.addressOf.end()) return;
    if (auto n = w.openFrom.find(it->second); n != w.openFrom.end() && --n->second <= 0) w.openFrom.erase(n);
    w.addressOf.erase(it);
}

void Gatekeeper::onWatchEvents(Watch& w) {
    while (auto ev = recvSocketEvent(w.events)) {
        if (ev->event == ZMQ_EVENT_ACCEPTED) {
            onAccepted(w, static_cast<int>(ev->value));
        } else if (ev->event == ZMQ_EVENT_DISCONNECTED) {
            onClosed(w, static_cast<int>(ev->value));
        } else if (ev->event == ZMQ_EVENT_ACCEPT_FAILED) {
            ++acceptFailures_;
            logLimited(fmt::format("cannot accept a connection on {} ({}): {}; new connections wait until descriptors "
                                   "are free (see the open-file limit logged at start)",
                                   w.what, ev->endpoint, std::strerror(static_cast<int>(ev->value))));
        } else {
            ++refusedHandshakes_;
            logLimited(fmt::format("refused a connection to {} ({}): its handshake failed (a peer without CURVE, or "
                                   "one expecting another server key)", w.what, ev->endpoint));
        }
    }
}

void Gatekeeper::attach(EventLoop& loop) {
    for (auto& w : watches_) loop.onReadable(w.events, [this, &w] { onWatchEvents(w); });
    if (!credentials_.curve()) return;
    loop.onReadable(zap_, [this] { onZap(); });
    if (!keysWatch_) {
        loop.every(kKeysCheckEvery, [this] { reloadIfChanged(); });
        return;
    }
    loop.onFd(*keysWatch_, [this] {
        std::array<char, 4096> events;  // what changed does not matter: the fingerprint decides
        while (read(*keysWatch_, events.data(), events.size()) > 0) {
        }
        reloadIfChanged();
    });
}

void Gatekeeper::reload() {
    std::vector<std::string> warnings;
    registry_ = KeyRegistry::load(config_, warnings);
    for (const auto& w : warnings) log_->warn("keys: {}", w);
    log_->info("accepting {} public keys from {}", registry_.size(), config_.keysDir.string());
}

void Gatekeeper::reloadIfChanged() {
    if (registry_.changed(config_)) reload();
}

void Gatekeeper::onZap() {
    drain(zap_, kDrainControl, [this](Frames&& f) {
        // version, request id, domain, address, routing id, mechanism, credentials...
        const bool wellFormed = f.size() >= 6 && view(f[0]) == "1.0";
        std::string_view domain = wellFormed ? view(f[2]) : "";
        std::string_view address = wellFormed ? view(f[3]) : "?";
        std::string key;
        const Identity* id = nullptr;
        if (wellFormed && view(f[5]) == "CURVE" && f.size() >= 7 && f[6].size() == 32) {
            std::array<char, kZ85KeyLength + 1> z85{};
            zmq_z85_encode(z85.data(), static_cast<const uint8_t*>(f[6].data()), 32);
            key.assign(z85.data(), kZ85KeyLength);
            id = registry_.find(key);
        }
        std::string why;
        if (!id)
            why = fmt::format("unknown key {}", shortKey(key));
        else if (!admits(domain, id->role))
            why = fmt::format("{} ({}) may not connect to {}", id->name, peerRoleName(id->role), domain);
        const bool ok = why.empty();
        if (!ok) {
            ++refusedHandshakes_;
            logLimited(fmt::format("refused a connection from {} to {}: {}", address, domain, why));
        }
        Frames reply;
        reply.push_back(msg("1.0"));
        reply.push_back(f.size() > 1 ? zmq::message_t(f[1].data(), f[1].size()) : msg(""));
        reply.push_back(msg(ok ? "200" : "400"));
        reply.push_back(msg(ok ? "OK" : "key not accepted"));
        reply.push_back(msg(ok ? key : ""));  // becomes each message's User-Id
        reply.push_back(msg(""));
        sendFrames(zap_, reply);
    });
}

const Identity* Gatekeeper::sender(std::string_view senderKey, std::string_view what) {
    if (!credentials_.curve()) return &local_;
    const Identity* id = registry_.find(senderKey);
    if (!id) refuse(nullptr, fmt::format("{} from key {}, which is not (or no longer) registered", what,
                                         shortKey(senderKey)));
    return id;
}

const Identity* Gatekeeper::authorise(std::string_view senderKey, Action a) {
    const Identity* id = sender(senderKey, actionName(a));
    if (!id || permits(*id, a)) return id;
    refuse(id, fmt::format("{} (needs {})", actionName(a), allowedRoles(a)));
    return nullptr;
}

void Gatekeeper::refuse(const Identity* who, std::string_view what) {
    ++refusedMessages_;
    logLimited(who ? fmt::format("refused {} from {} ({})", what, who->name, peerRoleName(who->role))
                   : fmt::format("refused {}", what));
}

void Gatekeeper::logLimited(std::string line) {
    const TimePoint now = clock_.now();
    if (lastLog_ != TimePoint{} && now - lastLog_ < kLogAtMostEvery) {
        ++suppressed_;
        return;
    }
    if (suppressed_ > 0)
        log_->warn("{} (and {} more refusals not logged since the last line)", line, suppressed_);
    else
        log_->warn("{}", line);
    lastLog_ = now;
    suppressed_ = 0;
}

Doc Gatekeeper::refusedDoc() const { return {{"handshakes", refusedHandshakes_}, {"messages", refusedMessages_}}; }

}  // namespace jupiter
