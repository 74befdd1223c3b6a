// The etcd client and the elector against a real etcd (Debian's etcd-server), one member on free
// loopback ports with its data in a temporary folder; the member is killed and its data removed
// at the end of each test.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "election/elector.hpp"
#include "election/etcd_client.hpp"
#include "election/etcd_watch.hpp"
#include "common/zmq_util.hpp"
#include "text.hpp"

using namespace jupiter;

namespace {

int freePort() {
    zmq::context_t ctx(1);
    zmq::socket_t s(ctx, zmq::socket_type::rep);
    s.bind("tcp://127.0.0.1:*");
    const std::string ep = s.get(zmq::sockopt::last_endpoint);
    return std::stoi(ep.substr(ep.rfind(':') + 1));
}

// One etcd member, as `jupiter up` tunes them (100 ms heartbeats, 500 ms elections).
class LocalEtcd {
public:
    LocalEtcd() {
        dir_ = std::filesystem::temp_directory_path() / fmt::format("jupiter-etcd-test-{}", std::random_device{}());
        std::filesystem::create_directories(dir_);
        const int client = freePort(), peer = freePort();
        url_ = fmt::format("http://127.0.0.1:{}", client);
        const std::string peerUrl = fmt::format("http://127.0.0.1:{}", peer);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            const std::string log = (dir_ / "etcd.log").string();
            FILE* f = freopen(log.c_str(), "w", stderr);
            (void)f;
            const std::string data = (dir_ / "data").string(), cluster = "m=" + peerUrl;
            execlp("etcd", "etcd", "--name", "m", "--data-dir", data.c_str(), "--listen-client-urls", url_.c_str(),
                   "--advertise-client-urls", url_.c_str(), "--listen-peer-urls", peerUrl.c_str(),
                   "--initial-advertise-peer-urls", peerUrl.c_str(), "--initial-cluster", cluster.c_str(),
                   "--heartbeat-interval", "100", "--election-timeout", "500", "--log-level", "error",
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        EtcdClient c({url_}, Millis(200));
        bool up = false;
        for (int i = 0; i < 150 && !up; ++i) {
            up = c.get("probe").ok();
            if (!up) std::this_thread::sleep_for(Millis(50));
        }
        // Its own words when it did not come up (a port taken between freePort and its bind, ...).
        const std::string log = up ? std::string() : jupiter::testing::slurp(dir_ / "etcd.log");
        REQUIRE_MESSAGE(up, "etcd did not start; is Debian's etcd-server installed (scripts/setup.sh installs it)? "
                            "Its log: " << log);
    }
    ~LocalEtcd() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        std::filesystem::remove_all(dir_);
    }
    const std::string& url() const { return url_; }

private:
    std::filesystem::path dir_;
    std::string url_;
    pid_t pid_ = -1;
};

std::optional<ElectorReport> nextReport(zmq::socket_t& pair, Millis timeout) {
    zmq::pollitem_t item{pair.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    auto frames = recvFrames(pair);
    if (!frames || frames->empty()) return std::nullopt;
    auto doc = unpackDoc(view((*frames)[0]));
    if (!doc) return std::nullopt;
    return decodeReport(*doc);
}

// Reads reports until one satisfies `want` (or `timeout` passes).
std::optional<ElectorReport> waitReport(zmq::socket_t& pair, const std::function<bool(const ElectorReport&)>& want,
                                        Millis timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = nextReport(pair, Millis(100));
        if (r && want(*r)) return r;
    }
    return std::nullopt;
}

// An elector of the test key on that member (its loop counts as alive for an hour).
ElectorSettings settingsFor(const LocalEtcd& etcd) {
    ElectorSettings s;
    s.etcdEndpoints = {etcd.url()};
    s.key = "jupiter/test/leader";
    s.loopSilence = Millis(3'600'000);
    return s;
}

// A loop that ran once, now.
struct AlivePulse : LoopPulse {
    explicit AlivePulse(const Clock& clock) { stamp(clock.now()); }
};

}  // namespace

TEST_CASE("etcd client: leases, a key created only if absent, and its expiry with the lease") {
    LocalEtcd etcd;
    // A dead member first: the client moves on to the live one.
    EtcdClient c({fmt::format("http://127.0.0.1:{}", freePort()), etcd.url()}, Millis(300));
    auto lease = c.grantLease(1);
    REQUIRE(lease.ok());
    CHECK(lease->ttlSeconds >= 1);
    auto claim = c.createIfAbsent("jupiter/test/leader", "command-1", lease->id);
    REQUIRE(claim.ok());
    CHECK(claim->created);
    const int64_t epoch = claim->current.createRevision;
    CHECK(epoch > 0);

    auto other = c.grantLease(5);
    REQUIRE(other.ok());
    auto second = c.createIfAbsent("jupiter/test/leader", "command-2", other->id);
    REQUIRE(second.ok());
    CHECK_FALSE(second->created);
    CHECK(second->current.value == "command-1");
    CHECK(second->current.createRevision == epoch);

    auto ttl = c.keepAlive(lease->id);
    REQUIRE(ttl.ok());
    CHECK(ttl->ttlSeconds >= 1);
    CHECK(ttl->revision >= epoch);  // the store's revision: at least the claim's write
    // Not renewed: etcd deletes the key with the lease.
    bool gone = false;
    for (int i = 0; i < 60 && !gone; ++i) {
        std::this_thread::sleep_for(Millis(100));
        auto v = c.get("jupiter/test/leader");
        REQUIRE(v.ok());
        gone = !v->has_value();
    }
    CHECK(gone);
    auto dead = c.keepAlive(lease->id);
    REQUIRE(dead.ok());
    CHECK(dead->ttlSeconds == 0);
    CHECK(dead->revision > ttl->revision);  // the lease's end deleted the key: a write
    auto third = c.createIfAbsent("jupiter/test/leader", "command-2", other->id);
    REQUIRE(third.ok());
    CHECK(third->created);
    CHECK(third->current.createRevision > epoch);  // a new epoch, larger than any before
    CHECK(c.revoke(other->id).ok());
    CHECK_FALSE(c.get("jupiter/test/leader")->has_value());

    // Nothing listening at all: a clear error, not a hang.
    EtcdClient none({fmt::format("http://127.0.0.1:{}", freePort())}, Millis(200));
    auto err = none.get("k");
    REQUIRE_FALSE(err.ok());
    CHECK(err.error().code == "unavailable");
}

TEST_CASE("etcd client: a campaign guarded by the term key fails if anyone took the lead since the read, even if "
          "they lost it again") {
    LocalEtcd etcd;
    EtcdClient c({etcd.url()}, Millis(300));
    const std::string key = "jupiter/test/leader", term = "jupiter/test/leader-term";
    auto seen = c.readElection(key, term);
    REQUIRE(seen.ok());
    CHECK_FALSE(seen->holder);
    CHECK(seen->termRevision == 0);  // never written
    CHECK(seen->revision > 0);

    // Someone else campaigns after our read, and loses the lead again before we campaign.
    auto theirs = c.grantLease(5);
    REQUIRE(theirs.ok());
    auto won = c.createIfAbsent(key, "command-2", theirs->id, EtcdTermGuard{term, seen->termRevision});
    REQUIRE(won.ok());
    REQUIRE(won->created);
    CHECK(won->current.createRevision > seen->revision);
    auto during = c.readElection(key, term);
    REQUIRE(during.ok());
    REQUIRE(during->holder);
    CHECK(during->holder->value == "command-2");
    CHECK(during->termRevision == won->current.createRevision);  // written in the same transaction
    REQUIRE(c.revoke(theirs->id).ok());
    REQUIRE_FALSE(c.get(key)->has_value());

    // The key is absent again, as at our read, yet our campaign fails: it was not absent throughout.
    auto ours = c.grantLease(5);
    REQUIRE(ours.ok());
    auto stale = c.createIfAbsent(key, "command-1", ours->id, EtcdTermGuard{term, seen->termRevision});
    REQUIRE(stale.ok());
    CHECK_FALSE(stale->created);
    CHECK(stale->current.value.empty());  // nobody holds it
    CHECK_FALSE(c.get(key)->has_value());
    // Read afresh, it succeeds.
    auto fresh = c.readElection(key, term);
    REQUIRE(fresh.ok());
    CHECK(fresh->termRevision == during->termRevision);
    auto claim = c.createIfAbsent(key, "command-1", ours->id, EtcdTermGuard{term, fresh->termRevision});
    REQUIRE(claim.ok());
    CHECK(claim->created);
    CHECK(claim->current.createRevision > won->current.createRevision);
}

TEST_CASE("etcd watch: news when it opens and when the key is written or deleted - none while etcd is quiet - a wake "
          "ends a wait - a dead member ends the stream") {
    auto etcd = std::make_unique<LocalEtcd>();
    const std::string url = etcd->url();
    EtcdClient c({url}, Millis(300));
    const std::string key = "jupiter/test/leader";
    EtcdWatch watch(c, key);
    SystemClock clock;
    auto waitFor = [&](Millis d) { return watch.wait(clock, clock.now() + d); };

    CHECK_FALSE(watch.open());
    REQUIRE(waitFor(Millis(5000)));  // opened: what happened before is unknown
    CHECK(watch.open());
    CHECK_FALSE(waitFor(Millis(200)));  // nothing written

    auto lease = c.grantLease(5);  // leases and their renewals write no key
    REQUIRE(lease.ok());
    REQUIRE(c.keepAlive(lease->id).ok());
    REQUIRE(c.createIfAbsent("jupiter/test/other", "x", lease->id).ok());  // another key
    CHECK_FALSE(waitFor(Millis(200)));

    REQUIRE(c.createIfAbsent(key, "command-1", lease->id).ok());
    CHECK(waitFor(Millis(5000)));
    REQUIRE(c.revoke(lease->id).ok());  // the key goes with its lease
    CHECK(waitFor(Millis(5000)));
    CHECK_FALSE(c.get(key)->has_value());

    // A wake from another thread ends the wait at once, long before its end.
    std::thread waker([&] {
        std::this_thread::sleep_for(Millis(100));
        watch.wake();
    });
    const auto before = clock.now();
    CHECK_FALSE(waitFor(Millis(60'000)));
    CHECK(clock.now() - before < Millis(30'000));
    waker.join();
    CHECK(watch.open());

    // The member dies: the stream ends, and no news comes while no member answers.
    etcd.reset();
    CHECK_FALSE(waitFor(Millis(500)));
    CHECK_FALSE(watch.open());
}

TEST_CASE("elector: one leader at a time - a stopped leader hands over at once with a larger epoch") {
    LocalEtcd etcd;
    zmq::context_t ctx(1);
    SystemClock clock;
    const ElectorSettings s = settingsFor(etcd);
    zmq::socket_t pairA(ctx, zmq::socket_type::pair), pairB(ctx, zmq::socket_type::pair);
    pairA.bind("inproc://elector-a");
    pairB.bind("inproc://elector-b");
    SharedPosition posA, posB;
    const AlivePulse pulse(clock);
    auto a = std::make_unique<Elector>(ctx, "inproc://elector-a", s, "command-1", std::vector<ElectorPeer>{},
                                       Credentials::none(), clock, posA, pulse);
    a->start();
    auto led = waitReport(pairA, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(led);
    CHECK(led->leader == "command-1");
    CHECK(led->validUntil > clock.now());

    Elector b(ctx, "inproc://elector-b", s, "command-2", {}, Credentials::none(), clock, posB, pulse);
    b.start();
    auto follows = waitReport(pairB, [](const ElectorReport& r) { return r.role == LeaderRole::Standby; }, Millis(5000));
    REQUIRE(follows);
    CHECK(follows->leader == "command-1");
    CHECK(follows->epoch == led->epoch);

    // The leader keeps renewing: its horizon moves on.
    auto later = waitReport(pairA, [&](const ElectorReport& r) { return r.validUntil > led->validUntil; }, Millis(2000));
    CHECK(later);

    a->stop();  // revokes the lease: the key goes now, not when the TTL runs out
    EtcdClient c({etcd.url()}, Millis(300));
    auto holder = c.get("jupiter/test/leader");
    REQUIRE(holder.ok());
    CHECK((!holder->has_value() || (*holder)->value == "command-2"));
    auto takes = waitReport(pairB, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(takes);
    CHECK(takes->epoch > led->epoch);
    b.stop();
}

TEST_CASE("elector: a leader whose key is overwritten or deleted in etcd steps down at once - then leads again at a "
          "larger epoch") {
    LocalEtcd etcd;
    zmq::context_t ctx(1);
    SystemClock clock;
    ElectorSettings s = settingsFor(etcd);
    s.ttlSeconds = 30;  // the lease outlives the test: only the key's fate can end the leadership
    zmq::socket_t pair(ctx, zmq::socket_type::pair);
    pair.bind("inproc://elector-key");
    SharedPosition pos;
    const AlivePulse pulse(clock);
    Elector a(ctx, "inproc://elector-key", s, "command-1", {}, Credentials::none(), clock, pos, pulse);
    a.start();
    auto led = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(led);
    auto etcdctl = [&](const std::string& args) {
        return std::system(fmt::format("ETCDCTL_API=3 etcdctl --endpoints {} {} >/dev/null 2>&1", etcd.url(), args)
                               .c_str());
    };
    // Overwritten by someone else: it steps down and follows the name now there.
    REQUIRE(etcdctl(fmt::format("put {} command-9", s.key)) == 0);
    auto down = waitReport(pair, [](const ElectorReport& r) { return r.role != LeaderRole::Leader; }, Millis(5000));
    REQUIRE(down);
    CHECK(down->why.find("no longer ours") != std::string::npos);
    CHECK(down->why.find("command-9") != std::string::npos);
    auto follows = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Standby; }, Millis(5000));
    REQUIRE(follows);
    CHECK(follows->leader == "command-9");
    // Deleted: nobody leads, so it campaigns and leads again, at a larger epoch.
    REQUIRE(etcdctl(fmt::format("del {}", s.key)) == 0);
    auto again = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(again);
    CHECK(again->epoch > led->epoch);
    // Deleted while it leads: it steps down, then takes the key afresh.
    REQUIRE(etcdctl(fmt::format("del {}", s.key)) == 0);
    auto gone = waitReport(pair, [](const ElectorReport& r) { return r.role != LeaderRole::Leader; }, Millis(5000));
    REQUIRE(gone);
    CHECK(gone->why.find("nobody") != std::string::npos);
    auto third = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(third);
    CHECK(third->epoch > again->epoch);
    a.stop();
}

TEST_CASE("elector: a leader whose loop stops stamping its pulse steps down and revokes its lease at once - and leads "
          "again, at a larger epoch, once its loop runs") {
    LocalEtcd etcd;
    zmq::context_t ctx(1);
    SystemClock clock;
    ElectorSettings s = settingsFor(etcd);
    s.loopSilence = Millis(300);
    zmq::socket_t pair(ctx, zmq::socket_type::pair);
    pair.bind("inproc://elector-pulse");
    SharedPosition pos;
    LoopPulse pulse;
    std::atomic<bool> running{true}, stop{false};
    std::thread loop([&] {  // the node's loop: stamps while it runs
        while (!stop) {
            if (running) pulse.stamp(clock.now());
            std::this_thread::sleep_for(Millis(50));
        }
    });
    Elector a(ctx, "inproc://elector-pulse", s, "command-1", {}, Credentials::none(), clock, pos, pulse);
    a.start();
    auto led = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(led);
    running = false;  // stuck
    auto down = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Unknown; }, Millis(3000));
    REQUIRE(down);
    CHECK(down->why.find("event loop has not run") != std::string::npos);
    CHECK(down->why.find("stepping down") != std::string::npos);
    EtcdClient c({etcd.url()}, Millis(300));
    auto holder = c.get(s.key);
    REQUIRE(holder.ok());
    CHECK_FALSE(holder->has_value());  // revoked, not left to lapse
    // While stuck it does not take the free key either.
    CHECK_FALSE(waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(500)));
    running = true;
    auto again = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(again);
    CHECK(again->epoch > led->epoch);
    a.stop();
    stop = true;
    loop.join();
}

TEST_CASE("elector: a standby told its leader's connection dropped ends that lease at once and leads - a suspicion of "
          "another epoch or node changes nothing") {
    LocalEtcd etcd;
    zmq::context_t ctx(1);
    SystemClock clock;
    const ElectorSettings s = settingsFor(etcd);
    // A leader that died without revoking: its key under a 10 s lease nobody renews.
    EtcdClient dead({etcd.url()}, Millis(300));
    auto lease = dead.grantLease(10);
    REQUIRE(lease.ok());
    auto claim = dead.createIfAbsent(s.key, "command-1", lease->id);
    REQUIRE(claim.ok());
    REQUIRE(claim->created);
    const uint64_t epoch = static_cast<uint64_t>(claim->current.createRevision);
    zmq::socket_t pair(ctx, zmq::socket_type::pair);
    pair.bind("inproc://elector-suspect");
    SharedPosition pos;
    const AlivePulse pulse(clock);
    Elector b(ctx, "inproc://elector-suspect", s, "command-2", {}, Credentials::none(), clock, pos, pulse);
    b.start();
    auto follows = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Standby; }, Millis(5000));
    REQUIRE(follows);
    CHECK(follows->epoch == epoch);
    // Wrong epoch, wrong node: the key stays.
    b.suspect("command-1", epoch + 1);
    b.suspect("command-3", epoch);
    CHECK_FALSE(waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(500)));
    auto still = dead.get(s.key);
    REQUIRE(still.ok());
    REQUIRE(still->has_value());
    CHECK((*still)->createRevision == claim->current.createRevision);
    // The right one: the lease ends now, not in 10 s, and the standby takes over.
    b.suspect("command-1", epoch);
    auto leads = waitReport(pair, [](const ElectorReport& r) { return r.role == LeaderRole::Leader; }, Millis(5000));
    REQUIRE(leads);
    CHECK(leads->epoch > epoch);  // within the wait above: half the dead lease's 10 s
    b.stop();
}
