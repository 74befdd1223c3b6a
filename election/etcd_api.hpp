// The few calls of etcd that leadership needs, as an interface: EtcdClient makes them over etcd's
// HTTP/JSON API; the elector's unit tests use an in-memory etcd on a manual clock
// (tests/election/fake_etcd.hpp), so every rule of the elector is tested without a real one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace jupiter {

struct EtcdLease {
    int64_t id = 0;
    int64_t ttlSeconds = 0;  // as granted
};

// A renewed lease: its remaining TTL in seconds (0: etcd no longer has it, expired or revoked), and
// the store's revision on the member that answered. The revision moves with every write, so a
// leader that found its key its own at one revision knows it still is while the revision stays.
struct EtcdRenewal {
    int64_t ttlSeconds = 0;
    int64_t revision = 0;
};

struct EtcdValue {
    std::string value;
    int64_t createRevision = 0;  // unique per creation of the key: our leadership epoch
    int64_t lease = 0;
};

// The outcome of createIfAbsent: whether we created the key, and the key as it now is.
struct EtcdClaim {
    bool created = false;
    EtcdValue current;
};

// The election as one read saw it, at one revision: the leader key (if held) and the revision at
// which the term key was last written (0: never). Every successful campaign rewrites the term key,
// so a campaign conditioned on that revision fails if anyone took the lead since the read, even if
// they have lost it again (the leader key alone cannot tell: an absent key looks the same before
// and after).
struct EtcdElection {
    std::optional<EtcdValue> holder;
    int64_t revision = 0;      // the store's revision the read saw
    int64_t termRevision = 0;  // the term key's mod_revision then
};

// createIfAbsent's extra condition: `key` has not been written since `modRevision`; it is rewritten.
struct EtcdTermGuard {
    std::string key;
    int64_t modRevision = 0;
};

class EtcdApi {
public:
    virtual ~EtcdApi() = default;
    virtual Result<EtcdLease> grantLease(int64_t ttlSeconds) = 0;
    virtual Result<EtcdRenewal> keepAlive(int64_t leaseId) = 0;
    virtual Status revoke(int64_t leaseId) = 0;
    // Puts key=value attached to `leaseId` only if the key does not exist (create_revision == 0).
    // With `term`: also only if the term key is still at term->modRevision, and it is written too.
    virtual Result<EtcdClaim> createIfAbsent(const std::string& key, const std::string& value, int64_t leaseId,
                                             const std::optional<EtcdTermGuard>& term = std::nullopt) = 0;
    virtual Result<std::optional<EtcdValue>> get(const std::string& key) = 0;
    // The same from the member asked alone (a serializable read: no quorum round, so a standby's
    // polling costs etcd little), possibly a moment behind; never the basis of a decision that a
    // linearizable read or a conditioned transaction does not confirm.
    virtual Result<std::optional<EtcdValue>> getLocal(const std::string& key) = 0;
    // The leader key and the term key, read together (one transaction: one revision).
    virtual Result<EtcdElection> readElection(const std::string& key, const std::string& termKey) = 0;
};

}  // namespace jupiter
