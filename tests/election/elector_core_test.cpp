// The elector's rules, step by step, on a manual clock against an etcd in memory (fake_etcd.hpp):
// three command nodes' electors share it and ask each other's log positions as the fence does.
// After every tick no two of them may hold a leader's report whose window is still open (the only
// leadership that acknowledges anything).
#include <algorithm>
#include <memory>

#include <doctest/doctest.h>

#include "election/elector_core.hpp"
#include "tests/election/fake_etcd.hpp"

using namespace jupiter;
using jupiter::testing::FakeEtcd;

namespace {

struct Member {
    std::string name;
    SharedPosition position;
    LoopPulse pulse;
    std::vector<ElectorReport> reports;
    std::unique_ptr<ElectorCore> core;
    TimePoint next{};
    bool wedged = false;  // its event loop stops stamping the pulse (the elector thread runs on)
    bool frozen = false;  // the whole process stopped: no steps, no pulse, no answers to a fence
    std::optional<std::pair<std::string, uint64_t>> suspect;
    bool lookSoon = false;
    bool watched = false;  // a watch on the key is open (the thread's EtcdWatch)

    const ElectorReport& last() const { return reports.back(); }
    bool saidOnce(const std::string& why) const {
        return std::any_of(reports.begin(), reports.end(),
                           [&](const ElectorReport& r) { return r.why.find(why) != std::string::npos; });
    }
};

class Election {
public:
    explicit Election(const std::vector<std::string>& names) : etcd(clock) {
        settings.key = "jupiter/test/leader";
        for (const auto& n : names) {
            auto m = std::make_unique<Member>();
            m->name = n;
            m->position.set(LogPosition{1, 10});
            Member* self = m.get();
            m->core = std::make_unique<ElectorCore>(
                settings, n, etcd, [this, n](int64_t, const std::string& silent) { return fence(n, silent); }, clock,
                m->position, m->pulse, [self](const ElectorReport& r) { self->reports.push_back(r); });
            members.push_back(std::move(m));
        }
    }

    Member& operator[](const std::string& name) {
        for (auto& m : members)
            if (m->name == name) return *m;
        FAIL("no member " << name);
        return *members.front();
    }

    // Moves the clock on `d`, 10 ms at a time: each running member stamps its pulse (unless
    // wedged) and steps when due, or at once when the loop handed it a suspicion (as the thread's
    // wait is cut short).
    void run(Millis d) {
        for (Millis done{0}; done < d; done += Millis(10)) {
            clock.advance(Millis(10));
            for (auto& m : members) {
                if (m->frozen) continue;
                if (!m->wedged) m->pulse.stamp(clock.now());
                if (clock.now() >= m->next || m->suspect || m->lookSoon)
                    m->next = m->core->step(std::exchange(m->suspect, std::nullopt), std::exchange(m->lookSoon, false),
                                           m->watched);
            }
            if (oneOpenWindow) CHECK(openLeaders() <= 1);
        }
    }

    // Members whose latest report is a leader's with its window still open.
    int openLeaders() const {
        return static_cast<int>(std::count_if(members.begin(), members.end(), [&](const auto& m) {
            return !m->reports.empty() && m->last().role == LeaderRole::Leader && clock.now() < m->last().validUntil;
        }));
    }
    // The running members that lead now.
    std::vector<std::string> leaders() const {
        std::vector<std::string> out;
        for (const auto& m : members)
            if (!m->frozen && m->core->leads()) out.push_back(m->name);
        return out;
    }
    std::string leader() const {
        const auto l = leaders();
        REQUIRE(l.size() == 1);
        return l.front();
    }

    // After every tick, at most one member may hold a leader's report whose window is open. Not
    // so when a suspicion ends a lease early: the old leader's window then outlasts its lease, and
    // what keeps it from acknowledging is the fence its standbys answered (elector_core.cpp).
    bool oneOpenWindow = true;
    ManualClock clock;
    FakeEtcd etcd;
    ElectorSettings settings;
    std::vector<std::unique_ptr<Member>> members;

private:
    std::vector<std::optional<LogPosition>> fence(const std::string& asking, const std::string& silent) {
        std::vector<std::optional<LogPosition>> out;
        for (const auto& m : members) {
            if (m->name == asking) continue;
            if (m->frozen || m->name == silent) {
                out.push_back(std::nullopt);
                continue;
            }
            out.push_back(m->position.get());
        }
        return out;
    }
};

const std::vector<std::string> kThree{"command-1", "command-2", "command-3"};

}  // namespace

TEST_CASE("elector core: one leader at a time - it leads at its key's create revision and the others follow it") {
    Election e(kThree);
    e.run(Millis(1000));
    const std::string l = e.leader();
    const auto key = e.etcd.peek(e.settings.key);
    REQUIRE(key);
    CHECK(key->value == l);
    CHECK(e[l].core->epoch() == static_cast<uint64_t>(key->createRevision));
    for (const auto& m : e.members) {
        if (m->name == l) continue;
        CHECK(m->last().role == LeaderRole::Standby);
        CHECK(m->last().leader == l);
        CHECK(m->last().epoch == e[l].core->epoch());
    }
}

TEST_CASE("elector core: standbys poll the key with local reads every other time - while they hurry, through the quorum only") {
    Election e(kThree);
    e.run(Millis(1000));
    const std::string l = e.leader();
    e.etcd.reads = e.etcd.localReads = e.etcd.renewals = 0;
    e.run(Millis(2000));
    // Two standbys polling every 250 ms: 16 reads, half of them through the quorum, beside the
    // leader's 10 renewals, which read nothing back while etcd is not written.
    CHECK(e.etcd.localReads >= 7);
    CHECK(e.etcd.localReads <= 9);
    CHECK(e.etcd.reads >= 7);
    CHECK(e.etcd.reads <= 9);
    CHECK(e.etcd.renewals >= 9);
    CHECK(e.etcd.renewals <= 11);
    CHECK(e.leader() == l);
    // A suspicion hurries a standby: it reads through the quorum only, every 10 ms.
    for (auto& m : e.members)
        if (m->name != l) m->lookSoon = true;
    e.etcd.reads = e.etcd.localReads = 0;
    e.run(Millis(200));
    CHECK(e.etcd.localReads == 0);
    CHECK(e.etcd.reads >= 30);
}

TEST_CASE("elector core: while watching, standbys read the key every second - the leader reads it back once after any "
          "write to etcd") {
    Election e(kThree);
    for (auto& m : e.members) m->watched = true;
    e.run(Millis(1000));
    const std::string l = e.leader();
    e.run(Millis(1000));
    e.etcd.reads = e.etcd.localReads = e.etcd.renewals = 0;
    e.run(Millis(4000));
    // Two standbys, a read a second each; the leader's 20 renewals read nothing back.
    CHECK(e.etcd.localReads + e.etcd.reads >= 7);
    CHECK(e.etcd.localReads + e.etcd.reads <= 9);
    CHECK(e.etcd.renewals >= 19);
    CHECK(e.etcd.renewals <= 21);
    // Another key written: the store's revision moves, so the leader's next renewal reads its key
    // back, once, finds it its own and goes on leading.
    for (auto& m : e.members)
        if (m->name != l) m->frozen = true;  // only the leader reads now
    e.etcd.reads = 0;
    e.etcd.overwrite("jupiter/test/other", "x");
    e.run(Millis(1000));
    CHECK(e.etcd.reads == 1);
    CHECK(e.leader() == l);
    CHECK(e[l].last().role == LeaderRole::Leader);
}

TEST_CASE("elector core: a stopped leader is replaced when its lease lapses, at a larger epoch - back, it steps down and follows") {
    Election e(kThree);
    e.run(Millis(1000));
    const std::string old = e.leader();
    const uint64_t oldEpoch = e[old].core->epoch();
    e[old].frozen = true;  // SIGSTOP: it renews nothing, answers no fence
    e.run(Millis(1500));
    const std::string next = e.leader();
    CHECK(next != old);
    CHECK(e[next].core->epoch() > oldEpoch);
    e[old].frozen = false;  // SIGCONT
    e.run(Millis(500));
    CHECK_FALSE(e[old].core->leads());
    CHECK(e[old].saidOnce("our lease expired in etcd"));
    CHECK(e[old].last().role == LeaderRole::Standby);
    CHECK(e[old].last().leader == next);
}

TEST_CASE("elector core: a leader key deleted or overwritten by an operator - the leader steps down at its next renewal") {
    Election e(kThree);
    e.run(Millis(1000));
    const std::string first = e.leader();
    const uint64_t firstEpoch = e[first].core->epoch();
    e.etcd.overwrite(e.settings.key, "someone-else");
    e.run(Millis(210));  // one renewal
    CHECK_FALSE(e[first].core->leads());
    CHECK(e[first].saidOnce("no longer ours (it names someone-else)"));
    e.etcd.erase(e.settings.key);
    e.run(Millis(1000));
    CHECK(e[e.leader()].core->epoch() > firstEpoch);
}

TEST_CASE("elector core: a leader whose loop is wedged revokes its lease at once - another leads - it takes no lead while wedged") {
    Election e(kThree);
    e.run(Millis(1000));
    const std::string stuck = e.leader();
    e[stuck].wedged = true;
    e.run(Millis(600));
    CHECK_FALSE(e[stuck].core->leads());
    CHECK(e[stuck].saidOnce("our event loop has not run for"));
    const std::string other = e.leader();
    CHECK(other != stuck);
    // Still wedged while the new leader goes too: it does not take the lead.
    e[other].frozen = true;
    e.run(Millis(2000));
    CHECK_FALSE(e[stuck].core->leads());
    CHECK(e.leaders().size() == 1);
    e[stuck].wedged = false;
    e.run(Millis(200));
    CHECK(e.leaders().size() == 1);
}

TEST_CASE("elector core: a suspicion of the leader at its epoch ends its lease at once - one at another epoch changes nothing") {
    Election e(kThree);
    e.run(Millis(1000));
    const std::string old = e.leader();
    const uint64_t epoch = e[old].core->epoch();
    const std::string standby = old == "command-1" ? "command-2" : "command-1";
    e[old].frozen = true;
    e[standby].suspect = std::make_pair(old, epoch + 7);  // a leader etcd does not name: nothing happens
    e.run(Millis(100));
    CHECK(e.leaders().empty());
    CHECK(e.etcd.peek(e.settings.key));
    e.oneOpenWindow = false;  // the lease ends before the old leader's window does (see Election)
    e[standby].suspect = std::make_pair(old, epoch);  // its connection dropped: its process is gone
    e.run(Millis(50));                  // far less than the lease's second
    REQUIRE(e.leaders().size() == 1);
    CHECK(e[e.leader()].core->epoch() > epoch);
}

TEST_CASE("elector core: a node behind the others never takes over - nor when the leader goes and one of them is left") {
    Election e(kThree);
    e["command-1"].position.set(LogPosition{1, 5});  // first to step, but behind both others
    e["command-2"].position.set(LogPosition{1, 12});
    e["command-3"].position.set(LogPosition{1, 12});
    e.run(Millis(1000));
    const std::string first = e.leader();
    CHECK(first != "command-1");
    CHECK(e["command-1"].saidOnce("another command node is further ahead"));
    e[first].frozen = true;  // one ahead of command-1 is silent, the other ahead: it must wait
    e.run(Millis(2000));
    const std::string second = e.leader();
    CHECK(second != "command-1");
    CHECK(second != first);
}

TEST_CASE("elector core: etcd unreachable - the leader keeps its lead while its window lasts, then steps down - back, one leads") {
    Election e(kThree);
    e.run(Millis(1000));
    const std::string l = e.leader();
    e.etcd.unreachable = true;
    e.run(Millis(100));
    CHECK(e[l].core->leads());  // its window (1 s less 150 ms from the last renewal) is still open
    e.run(Millis(1000));
    CHECK(e.leaders().empty());
    CHECK(e[l].saidOnce("could not renew our lease in time"));
    e.etcd.unreachable = false;
    e.run(Millis(1500));
    CHECK(e.leaders().size() == 1);
}
