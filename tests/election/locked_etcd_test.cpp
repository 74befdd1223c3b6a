// A local etcd member started and locked the way `jupiter up` does it (cli/etcd_members, real
// etcd from Debian's etcd-server on free loopback ports, data in a temp folder): TLS with client
// certificates of the cluster's CA and etcd's authentication. What the probe did - one PUT
// of the leader key from anyone who can reach etcd - is refused; Jupiter's user may touch only its
// prefix; the elector leads with its credentials. The member is killed at the end.
#include <doctest/doctest.h>

#include <signal.h>

#include <thread>

#include <fmt/format.h>

#include "cli/etcd_members.hpp"
#include "cli/processes.hpp"
#include "election/elector.hpp"
#include "common/ports.hpp"
#include "common/zmq_util.hpp"
#include "election/etcd_lock.hpp"
#include "election/etcd_pki.hpp"
#include "temp_dir.hpp"

using namespace jupiter;

namespace {

class LockedEtcd {
public:
    LockedEtcd() : dir_("locked-etcd") {
        const int base = findFreePortRange(2);
        REQUIRE(base > 0);
        config_.dir = dir_.path;
        config_.logsDir = dir_.path / "log";
        config_.keysDir = dir_.path / "keys";
        config_.security = SecurityMode::Curve;
        EtcdConfig& e = config_.etcd;
        e.local = true;
        e.endpoints = {fmt::format("https://127.0.0.1:{}", base)};
        e.peerUrls = {fmt::format("https://127.0.0.1:{}", base + 1)};
        const EtcdFiles f = etcdFilesIn(config_.keysDir);
        e.caFile = f.ca;
        e.certFile = f.client;
        e.keyFile = f.clientKey;
        e.passwordFile = f.jupiterPassword;
        auto s = cli::startLocalEtcd(config_, Millis(20000));
        REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    }
    ~LockedEtcd() {
        if (auto pid = cli::lockedPid(config_.pidFile("etcd-1"))) kill(*pid, SIGKILL);
        for (int i = 0; i < 100 && cli::lockedPid(config_.pidFile("etcd-1")); ++i) std::this_thread::sleep_for(Millis(20));
    }
    const Config& config() const { return config_; }
    const std::string& url() const { return config_.etcd.endpoints[0]; }
    EtcdCredentials as(const std::string& user) const {
        auto c = user == "root" ? etcdRootCredentials(config_.etcd, etcdFilesIn(config_.keysDir).rootPassword)
                                : etcdCredentials(config_.etcd);
        REQUIRE(c.ok());
        return *c;
    }

private:
    testing::TempDir dir_;
    Config config_;
};

}  // namespace

TEST_CASE("locked etcd: only the cluster's certificate and Jupiter's user may write - and only under its prefix") {
    LockedEtcd etcd;
    const EtcdCredentials jupiter = etcd.as("jupiter");
    CHECK(jupiter.user == "jupiter");
    CHECK(jupiter.password.size() >= 40);

    // Jupiter's user claims the leader key and reads it back.
    EtcdClient ok({etcd.url()}, Millis(2000), jupiter);
    auto lease = ok.grantLease(5);
    REQUIRE(lease.ok());
    auto claim = ok.createIfAbsent("jupiter/leader", "command-1", lease->id);
    REQUIRE(claim.ok());
    CHECK(claim->created);

    // Anyone else: the probe's PUT of the leader key, in every guise.
    auto refused = [&](EtcdCredentials c, const std::string& key) {
        EtcdClient other({etcd.url()}, Millis(2000), std::move(c));
        auto r = other.createIfAbsent(key, "command-9", 0);
        if (r.ok()) return false;
        MESSAGE(r.error().message);
        return true;
    };
    CHECK(refused({}, "jupiter/leader"));                                     // no CA, no client certificate
    EtcdClient plain({"http://" + etcd.url().substr(8)}, Millis(2000));
    CHECK_FALSE(plain.get("jupiter/leader").ok());
    CHECK(refused({jupiter.caFile, "", "", "", ""}, "jupiter/leader"));        // TLS, no client certificate
    CHECK(refused({jupiter.caFile, jupiter.certFile, jupiter.keyFile, "", ""}, "jupiter/leader"));  // no user
    CHECK(refused({jupiter.caFile, jupiter.certFile, jupiter.keyFile, "jupiter", "guess"}, "jupiter/leader"));
    CHECK(refused(jupiter, "other/key"));                                    // outside Jupiter's prefix
    // A certificate from another CA (another cluster's keys) is refused too.
    testing::TempDir elsewhere("other-ca");
    REQUIRE(ensureEtcdFiles(elsewhere.path, {}).ok());
    const EtcdFiles foreign = etcdFilesIn(elsewhere.path);
    CHECK(refused({jupiter.caFile, foreign.client.string(), foreign.clientKey.string(), "jupiter", jupiter.password},
                  "jupiter/leader"));

    // The key is still Jupiter's.
    auto held = ok.get("jupiter/leader");
    REQUIRE(held.ok());
    REQUIRE(held->has_value());
    CHECK((*held)->value == "command-1");

    // Locking again (the next `jupiter up`) changes nothing and keeps working.
    CHECK(lockEtcd(etcd.config().etcd, etcdFilesIn(etcd.config().keysDir).rootPassword, Millis(2000)).ok());
    CHECK(ok.keepAlive(lease->id).ok());
}

TEST_CASE("locked etcd: the elector leads with Jupiter's credentials - an outsider's overwrite is refused, the leader "
          "keeps its epoch") {
    LockedEtcd etcd;
    zmq::context_t ctx(1);
    zmq::socket_t pair(ctx, zmq::socket_type::pair);
    pair.bind("inproc://locked-elector");
    ElectorSettings s;
    s.etcdEndpoints = {etcd.url()};
    s.etcdCredentials = etcd.as("jupiter");
    s.key = "jupiter/leader";
    s.requestTimeout = Millis(1000);
    SharedPosition position;
    SystemClock clock;
    LoopPulse pulse;
    pulse.stamp(clock.now());
    s.loopSilence = Millis(3'600'000);  // the loop counts as alive throughout
    Elector elector(ctx, "inproc://locked-elector", s, "command-1", {}, Credentials::none(), clock, position, pulse);
    elector.start();
    std::optional<ElectorReport> leading;
    const auto deadline = std::chrono::steady_clock::now() + Millis(10000);
    while (!leading && std::chrono::steady_clock::now() < deadline) {
        zmq::pollitem_t item{pair.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, Millis(100)) <= 0) continue;
        auto frames = recvFrames(pair);
        REQUIRE(frames);
        auto r = decodeReport(*unpackDoc(view((*frames)[0])));
        if (r && r->role == LeaderRole::Leader) leading = r;
    }
    REQUIRE(leading);
    // The outsider (TLS with the right CA, no client certificate, then a client certificate but no user).
    for (EtcdCredentials c : {EtcdCredentials{s.etcdCredentials.caFile, "", "", "", ""},
                              EtcdCredentials{s.etcdCredentials.caFile, s.etcdCredentials.certFile,
                                              s.etcdCredentials.keyFile, "", ""}}) {
        EtcdClient outsider({etcd.url()}, Millis(1000), c);
        CHECK_FALSE(outsider.call("/v3/kv/deleterange", {{"key", base64Encode(s.key)}}).ok());
        CHECK_FALSE(outsider.call("/v3/kv/put", {{"key", base64Encode(s.key)}, {"value", base64Encode("command-9")}}).ok());
    }
    EtcdClient reader({etcd.url()}, Millis(1000), s.etcdCredentials);
    auto held = reader.get(s.key);
    REQUIRE(held.ok());
    REQUIRE(held->has_value());
    CHECK((*held)->value == "command-1");
    CHECK(static_cast<uint64_t>((*held)->createRevision) == leading->epoch);
    elector.stop();
}
