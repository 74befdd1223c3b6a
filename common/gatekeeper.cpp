// The gatekeeper; see gatekeeper.hpp. ZAP is specified in ZeroMQ RFC 27 (rfc.zeromq.org/spec/27).
#include "common/gatekeeper.hpp"

#include <array>
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
}

void Gatekeeper::watch(zmq::socket_t& bound, std::string_view what) {
    const int events = ZMQ_EVENT_ACCEPT_FAILED |
                       (credentials_.curve() ? ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL : 0);
    watches_.push_back({std::string(what), watchEvents(ctx_, bound, events)});
}

void Gatekeeper::onWatchEvents(Watch& w) {
    while (auto ev = recvSocketEvent(w.events)) {
        if (ev->event == ZMQ_EVENT_ACCEPT_FAILED) {
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
    loop.every(kKeysCheckEvery, [this] { reloadIfChanged(); });
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
