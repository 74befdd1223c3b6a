// Freelance failover between equivalent servers; see failover_client.hpp.
#include "client/failover_client.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "client/client.hpp"
#include "common/zmq_util.hpp"

namespace jupiter {
namespace {

using Steady = std::chrono::steady_clock;

constexpr int kWatched = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                         ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                         ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
// How often a blocking receive wakes to judge the server's silence.
constexpr Millis kTick{5};
// Reconnect quickly to a server that restarts.
constexpr int kReconnectMs = 50;
constexpr int kReconnectMaxMs = 500;

}  // namespace

FailoverClient::FailoverClient(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> endpoints,
                               FailoverOptions options)
    : ctx_(ctx),
      credentials_(credentials),
      endpoints_(std::move(endpoints)),
      o_(options),
      clock_(options.clock ? *options.clock : systemClock_) {
    if (endpoints_.empty()) throw std::invalid_argument("FailoverClient: no endpoint to connect to");
    cur_ = o_.start % endpoints_.size();
    pingId_ = newRequestId("ping");
    open();
}

FailoverClient::~FailoverClient() { closeSocket(); }

// libzmq 4.3 does not survive a socket closed in the middle of a CURVE handshake: the socket is
// never reaped and later handshakes on the same context stall. A handshake in progress is given a
// moment to finish (or fail) first; one with a stopped server is abandoned after handshakeDrain.
void FailoverClient::closeSocket() {
    if (!sock_) return;
    const auto giveUp = Steady::now() + o_.handshakeDrain;
    while (Steady::now() < giveUp) {
        onEvents();
        if (std::none_of(handshaking_.begin(), handshaking_.end(), [](bool b) { return b; })) break;
        zmq::pollitem_t item{events_.handle(), 0, ZMQ_POLLIN, 0};
        zmq::poll(&item, 1, Millis(10));
    }
    events_.close();
    sock_.close();
}

void FailoverClient::open() {
    closeSocket();
    keyRefused_ = false;
    connected_.assign(endpoints_.size(), false);
    handshaking_.assign(endpoints_.size(), false);
    sock_ = makeSocket(ctx_, zmq::socket_type::router);
    sock_.set(zmq::sockopt::router_mandatory, 1);  // a send to a server that is not connected fails at once
    // Not ZMQ_IMMEDIATE: with it, libzmq 4.3 leaves a connect_routing_id unroutable after the
    // handshake. Sends go only to servers whose handshake is done (connected_) instead.
    sock_.set(zmq::sockopt::reconnect_ivl, kReconnectMs);
    sock_.set(zmq::sockopt::reconnect_ivl_max, kReconnectMaxMs);
    events_ = watchEvents(ctx_, sock_, kWatched);
    dialled_.assign(endpoints_.size(), false);
    dial(cur_);
    if (o_.raceFirst)
        for (std::size_t i = 0; i < endpoints_.size(); ++i) dial(i);
    lastProgress_ = clock_.now();
    lastConnected_ = lastProgress_;
    pingSentAt_.reset();
    for (auto& [id, p] : pending_) p.sent = false;
}

// Servers are connected to when first used, not all at start: a short-lived client (the CLI) then
// makes one CURVE handshake, not one per gateway, and rarely has one in progress when it closes
// (see closeSocket). Once connected, a server stays connected for a quick return.
void FailoverClient::dial(std::size_t server) {
    if (dialled_[server]) return;
    dialled_[server] = true;
    sock_.set(zmq::sockopt::connect_routing_id, endpoints_[server]);  // each server is addressed by its endpoint
    credentials_.connect(sock_, endpoints_[server]);
}

std::optional<std::size_t> FailoverClient::indexOf(std::string_view endpoint) const {
    for (std::size_t i = 0; i < endpoints_.size(); ++i)
        if (endpoints_[i] == endpoint) return i;
    return std::nullopt;
}

std::size_t FailoverClient::connectedCount() const {
    std::size_t n = 0;
    for (bool c : connected_) n += c ? 1 : 0;
    return n;
}

Error FailoverClient::keyRefusedError() const {
    return makeError(std::string(kKeyRefused),
                     fmt::format("the node at {} refused this client's key ({}): ask an admin to run `jupiter client "
                                 "add NAME --role reader|writer|admin` and use its key with --key or $JUPITER_KEY",
                                 endpoints_[cur_], credentials_.keyFile()));
}

bool FailoverClient::sendTo(std::size_t server, const std::string& bytes) {
    return sendFrames(sock_, {endpoints_[server], "", bytes});
}

void FailoverClient::flush() {
    if (!connected_[cur_]) return;
    for (auto& [id, p] : pending_)
        if (!p.sent) p.sent = sendTo(cur_, p.bytes);
}

void FailoverClient::sendBytes(const std::string& id, std::string bytes) {
    if (pending_.empty()) {
        lastProgress_ = clock_.now();  // silence is counted from the first request that waits
        pingSentAt_.reset();
    }
    Pending& p = pending_[id];
    p.bytes = std::move(bytes);
    p.sent = connected_[cur_] && sendTo(cur_, p.bytes);
}

void FailoverClient::send(const Envelope& req) { sendBytes(req.id, encodeEnvelope(req)); }

void FailoverClient::forget(const std::string& id) { pending_.erase(id); }

void FailoverClient::failover(const std::string& reason) {
    // The next connected server after the current one; if none is connected, simply the next (its
    // requests wait, unsent, until it connects, or the silence moves them on again).
    std::size_t next = (cur_ + 1) % endpoints_.size();
    for (std::size_t k = 1; k < endpoints_.size(); ++k) {
        const std::size_t i = (cur_ + k) % endpoints_.size();
        if (connected_[i]) {
            next = i;
            break;
        }
    }
    cur_ = next;
    dial(cur_);
    ++failovers_;
    lastReason_ = reason;
    lastProgress_ = clock_.now();
    pingSentAt_.reset();
    for (auto& [id, p] : pending_) p.sent = false;
    flush();
}

void FailoverClient::onEvents() {
    while (auto ev = recvSocketEvent(events_)) {
        auto i = indexOf(ev->endpoint);
        if (!i) continue;
        handshaking_[*i] = ev->event == ZMQ_EVENT_CONNECTED;
        if (ev->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            connected_[*i] = true;
            // Nothing was sent to a server not connected: the first one ready may take its place.
            if (o_.raceFirst && !connected_[cur_]) cur_ = *i;
            if (*i == cur_) {
                keyRefused_ = false;
                pingSentAt_.reset();  // the wait for the connection is over; silence counts from here
                lastProgress_ = clock_.now();
                flush();
            }
        } else if (ev->event == ZMQ_EVENT_DISCONNECTED) {
            const bool wasUp = connected_[*i];
            connected_[*i] = false;
            if (*i == cur_ && wasUp && !pending_.empty()) failover(fmt::format("lost the connection to {}", ev->endpoint));
        } else if (ev->event == ZMQ_EVENT_CONNECT_RETRIED) {
            // The TCP connection failed (refused or reset: nothing listens there, the server is
            // down) and libzmq will try again later. Known now, so waiting requests move on now
            // instead of after the silence and a ping.
            connected_[*i] = false;
            if (*i == cur_ && !pending_.empty() && endpoints_.size() > 1)
                failover(fmt::format("{} refused the connection (not running?)", ev->endpoint));
        } else if (ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            connected_[*i] = false;
            if (*i == cur_) keyRefused_ = true;
        } else if (ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                   ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            connected_[*i] = false;
        }
    }
}

void FailoverClient::checkSilence() {
    if (pending_.empty()) return;
    const auto now = clock_.now();
    if (now - lastProgress_ < o_.silence) return;
    if (!connected_[cur_]) {
        // Not connected (yet, or any more): it gets as long as an unanswered ping to connect.
        if (!pingSentAt_) pingSentAt_ = now;
        else if (now - *pingSentAt_ >= o_.pingTimeout && endpoints_.size() > 1)
            failover(fmt::format("{} is not connected", endpoints_[cur_]));
        return;
    }
    if (!pingSentAt_) {
        Envelope ping;
        ping.kind = Kind::Control;
        ping.name = "ping";
        ping.id = pingId_;
        if (sendTo(cur_, encodeEnvelope(ping))) pingSentAt_ = now;
        return;
    }
    if (now - *pingSentAt_ >= o_.pingTimeout)
        failover(fmt::format("{} answered neither a request nor a ping for {} ms", endpoints_[cur_],
                             toMs(now - lastProgress_)));
}

std::optional<ClientReply> FailoverClient::service() {
    onEvents();
    while (auto frames = recvFrames(sock_)) {
        if (frames->size() < 2) continue;
        auto from = indexOf(view(frames->front()));
        if (!from) continue;
        std::string bytes(view(frames->back()));
        auto peek = peekEnvelope(bytes);
        if (!peek) continue;
        if (*from == cur_) {
            lastProgress_ = clock_.now();  // it is alive: whatever it sent counts
            pingSentAt_.reset();
        }
        auto it = pending_.find(peek->id);
        if (it == pending_.end()) continue;  // a pong, or a second answer to a request already answered
        if (peek->kind == Kind::Error && peek->errorCode == kErrorCutOff && *from == cur_ &&
            ++it->second.cutOffAnswers < endpoints_.size()) {
            // That server cannot serve it (a gateway cut off from the bus); another may.
            failover(fmt::format("{} answered {}: it cannot pass requests on", endpoints_[cur_], kErrorCutOff));
            continue;
        }
        pending_.erase(it);
        if (!pending_.empty() && *from == cur_) lastProgress_ = clock_.now();
        return ClientReply{std::move(bytes), std::move(*peek), endpoints_[*from]};
    }
    checkSilence();
    return std::nullopt;
}

std::optional<ClientReply> FailoverClient::receive(Millis timeout) {
    const auto deadline = Steady::now() + timeout;
    while (true) {
        if (auto r = service()) return r;
        if (keyRefused_ && connectedCount() == 0) return std::nullopt;
        const auto left = std::chrono::duration_cast<Millis>(deadline - Steady::now());
        if (left.count() <= 0) return std::nullopt;
        zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}, {events_.handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 2, std::min(left, pending_.empty() ? left : kTick));
    }
}

Result<Envelope> FailoverClient::call(const Envelope& req, Millis budget) {
    // libzmq does not reconnect after a refused handshake; the key may have been registered since,
    // so a call after a refusal starts on fresh connections.
    onEvents();
    if (keyRefused_) open();
    const auto start = Steady::now();  // the caller's budget is real time; the rules are clock_'s
    lastConnected_ = clock_.now();
    const uint64_t failoversBefore = failovers_;
    bool everConnected = false;
    send(req);
    while (true) {
        const auto left = std::chrono::duration_cast<Millis>(start + budget - Steady::now());
        auto r = receive(std::min(std::max(left, Millis(0)), Millis(50)));
        if (connectedCount() > 0) {
            everConnected = true;
            lastConnected_ = clock_.now();
        }
        if (r && r->peek.id == req.id) {
            auto env = decodeEnvelopeHeader(r->bytes);
            if (env) return std::move(env.value());
            return makeError("malformed", fmt::format("{} answered {} with a message that cannot be read: {}",
                                                      r->endpoint, req.name, env.error().message));
        }
        if (keyRefused_ && connectedCount() == 0) {
            forget(req.id);
            return keyRefusedError();
        }
        if (Steady::now() - start >= budget || clock_.now() - lastConnected_ >= o_.unreachable) break;
    }
    forget(req.id);
    const auto waited = toMs(Steady::now() - start);
    // Alive: it answered something (a ping at least) within the time a ping is given.
    if (connected_[cur_] && clock_.now() - lastProgress_ < o_.silence + o_.pingTimeout)
        return makeError("timeout", fmt::format("{} is up (it answers ping) but did not answer {} within {} ms",
                                                endpoints_[cur_], req.name, waited));
    return makeError("unavailable",
                     fmt::format("no answer to {} from {} within {} ms ({}; {} failovers)",
                                 req.name, fmt::join(endpoints_, ", "), waited,
                                 everConnected ? "none answered pings" : "none could be connected to",
                                 failovers_ - failoversBefore));
}

}  // namespace jupiter
