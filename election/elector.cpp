// The elector thread; see elector.hpp.
#include "election/elector.hpp"

#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "client/client.hpp"
#include "election/etcd_client.hpp"
#include "common/zmq_util.hpp"

namespace jupiter {
namespace {

// What the thread tells the loop, sent only when it changes (a leader's new lease horizon too).
class Reporter {
public:
    Reporter(zmq::context_t& ctx, const std::string& endpoint) : sock_(ctx, zmq::socket_type::pair) {
        sock_.connect(endpoint);
    }
    void send(const ElectorReport& r) {
        Doc d = encodeReport(r);
        if (d == last_) return;
        if (sendFrames(sock_, {packDoc(d)})) last_ = std::move(d);  // not sent: sent again next time
    }

private:
    zmq::socket_t sock_;
    Doc last_;
};

}  // namespace

Doc encodeReport(const ElectorReport& r) {
    Doc d = {{"role", leaderRoleName(r.role)}, {"leader", r.leader}, {"epoch", r.epoch}};
    if (r.role == LeaderRole::Leader) d["valid_until_ms"] = toMs(r.validUntil.time_since_epoch());
    if (!r.why.empty()) d["why"] = r.why;
    return d;
}

std::optional<ElectorReport> decodeReport(const Doc& d) {
    if (!d.is_object()) return std::nullopt;
    ElectorReport r;
    const std::string role = d.value("role", std::string());
    r.role = role == "leader" ? LeaderRole::Leader : role == "standby" ? LeaderRole::Standby : LeaderRole::Unknown;
    r.leader = d.value("leader", std::string());
    r.epoch = d.value("epoch", uint64_t{0});
    r.validUntil = TimePoint(Millis(d.value("valid_until_ms", int64_t{0})));
    r.why = d.value("why", std::string());
    return r;
}

Elector::Elector(zmq::context_t& ctx, std::string reportEndpoint, ElectorSettings settings, std::string self,
                 std::vector<ElectorPeer> peers, Credentials credentials, const Clock& clock,
                 const SharedPosition& position, const LoopPulse& pulse)
    : ctx_(ctx),
      reportEndpoint_(std::move(reportEndpoint)),
      s_(std::move(settings)),
      self_(std::move(self)),
      peers_(std::move(peers)),
      credentials_(std::move(credentials)),
      clock_(clock),
      position_(position),
      pulse_(pulse) {}

Elector::~Elector() { stop(); }

void Elector::start() {
    etcd_ = std::make_unique<EtcdClient>(s_.etcdEndpoints, s_.requestTimeout, s_.etcdCredentials);
    watch_ = std::make_unique<EtcdWatch>(*etcd_, s_.key);
    thread_ = std::thread([this] { run(); });
}

void Elector::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    if (watch_) watch_->wake();
    if (thread_.joinable()) thread_.join();
}

void Elector::suspect(const std::string& leader, uint64_t epoch) {
    {
        std::lock_guard lock(mutex_);
        suspected_ = {leader, epoch};
    }
    if (watch_) watch_->wake();
}

void Elector::lookSoon() {
    {
        std::lock_guard lock(mutex_);
        lookSoon_ = true;
    }
    if (watch_) watch_->wake();
}

void Elector::run() {
    Reporter report(ctx_, reportEndpoint_);
    EtcdClient& etcd = *etcd_;
    std::vector<std::unique_ptr<Client>> peers;
    for (const auto& p : peers_) peers.push_back(std::make_unique<Client>(ctx_, credentials_, p.endpoint));
    // Each answer fences the epochs up to `revision` on that node (CommandNode::serveFence), so that
    // it stays true until we have campaigned. `silent`: a node we have just judged gone, counted as
    // silent without waiting `pingTimeout` for it (safe: mayCampaign counts silence as doubt).
    auto fence = [&](int64_t revision, const std::string& silent) {
        std::vector<std::optional<LogPosition>> answers;
        for (std::size_t i = 0; i < peers.size(); ++i) {
            if (peers_[i].name == silent) {
                answers.push_back(std::nullopt);
                continue;
            }
            auto r = peers[i]->call(
                makeRequest(Kind::Control, "fence", {{"revision", static_cast<uint64_t>(revision)}, {"node", self_}}),
                s_.pingTimeout, 1);
            const bool ok = r && r->kind == Kind::Reply && r->body.contains("log_index") &&
                            r->body["log_index"].is_number_unsigned() && r->body.contains("log_epoch") &&
                            r->body["log_epoch"].is_number_unsigned();
            if (ok)
                answers.push_back(LogPosition{r->body["log_epoch"].get<uint64_t>(),
                                              r->body["log_index"].get<uint64_t>()});
            else
                answers.push_back(std::nullopt);
        }
        return answers;
    };
    ElectorCore core(s_, self_, etcd, fence, clock_, position_, pulse_,
                     [&report](const ElectorReport& r) { report.send(r); });

    // Waits on the steady clock (the elector runs on the real clock: its waits are etcd's pace) until
    // `t`, a call from the loop, or news of the leader key.
    auto pending = [this] {
        std::lock_guard lock(mutex_);
        return stop_.load() || suspected_.has_value() || lookSoon_;
    };
    auto sleepUntil = [&](TimePoint t) {
        while (!pending() && clock_.now() < t)
            if (watch_->wait(clock_, t)) return;
    };
    TimePoint next = clock_.now();
    while (!stop_) {
        sleepUntil(next);
        if (stop_) break;
        // Taken whatever the step does, so that a wait is never cut short by one it does not act
        // on (a leader's, or one for a leader etcd no longer names).
        std::optional<std::pair<std::string, uint64_t>> suspected;
        bool lookSoon = false;
        {
            std::lock_guard lock(mutex_);
            suspected = std::exchange(suspected_, std::nullopt);
            lookSoon = std::exchange(lookSoon_, false);
        }
        next = core.step(suspected, lookSoon, watch_->open());
    }
    core.resign();
}

}  // namespace jupiter
