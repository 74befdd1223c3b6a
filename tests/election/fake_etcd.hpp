// An etcd in memory, on a manual clock, for the elector's unit tests: revisions, leases that lapse
// with the clock and take their keys with them, create-if-absent guarded by a term key, and an
// operator's hand (delete or overwrite a key, make every member unreachable). Only what EtcdApi
// asks of it; the real client keeps its own tests against a real member (etcd_test.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "election/etcd_api.hpp"

namespace jupiter::testing {

class FakeEtcd final : public EtcdApi {
public:
    explicit FakeEtcd(const Clock& clock) : clock_(clock) {}

    bool unreachable = false;  // every call fails, as with every member down or cut off

    Result<EtcdLease> grantLease(int64_t ttlSeconds) override {
        if (unreachable) return down();
        const int64_t id = nextLease_++;
        leases_[id] = Lease{ttlSeconds, clock_.now() + Millis(ttlSeconds * 1000)};
        return EtcdLease{id, ttlSeconds};
    }
    Result<EtcdRenewal> keepAlive(int64_t leaseId) override {
        ++renewals;
        if (unreachable) return down();
        expire();
        auto it = leases_.find(leaseId);
        if (it == leases_.end()) return EtcdRenewal{0, revision_};
        it->second.expiresAt = clock_.now() + Millis(it->second.ttlSeconds * 1000);
        return EtcdRenewal{it->second.ttlSeconds, revision_};
    }
    int renewals = 0;
    Status revoke(int64_t leaseId) override {
        if (unreachable) return down();
        dropLease(leaseId);
        return Ok{};
    }
    Result<EtcdClaim> createIfAbsent(const std::string& key, const std::string& value, int64_t leaseId,
                                     const std::optional<EtcdTermGuard>& term) override {
        if (unreachable) return down();
        expire();
        if (!leases_.count(leaseId)) return makeError("etcd", "requested lease not found");
        auto it = keys_.find(key);
        const bool termMoved = term && modRevision(term->key) != term->modRevision;
        if (it != keys_.end() || termMoved)
            return EtcdClaim{false, it != keys_.end() ? it->second.value : EtcdValue{}};
        ++revision_;
        keys_[key] = Key{EtcdValue{value, revision_, leaseId}, revision_};
        if (term) keys_[term->key] = Key{EtcdValue{value, keys_.count(term->key) ? keys_[term->key].value.createRevision : revision_, 0}, revision_};
        return EtcdClaim{true, keys_[key].value};
    }
    Result<std::optional<EtcdValue>> get(const std::string& key) override {
        ++reads;
        if (unreachable) return down();
        expire();
        auto it = keys_.find(key);
        if (it == keys_.end()) return std::optional<EtcdValue>{};
        return std::optional<EtcdValue>{it->second.value};
    }
    // One member: never behind.
    Result<std::optional<EtcdValue>> getLocal(const std::string& key) override {
        ++localReads;
        --reads;
        return get(key);
    }
    int reads = 0;       // get: through the quorum
    int localReads = 0;  // getLocal
    Result<EtcdElection> readElection(const std::string& key, const std::string& termKey) override {
        if (unreachable) return down();
        expire();
        EtcdElection e;
        if (auto it = keys_.find(key); it != keys_.end()) e.holder = it->second.value;
        e.revision = revision_;
        e.termRevision = modRevision(termKey);
        return e;
    }

    // An operator's hand.
    void erase(const std::string& key) {
        if (keys_.erase(key)) ++revision_;
    }
    void overwrite(const std::string& key, const std::string& value) {
        ++revision_;
        keys_[key] = Key{EtcdValue{value, revision_, 0}, revision_};
    }
    std::optional<EtcdValue> peek(const std::string& key) {
        expire();
        auto it = keys_.find(key);
        if (it == keys_.end()) return std::nullopt;
        return it->second.value;
    }

private:
    struct Lease {
        int64_t ttlSeconds = 0;
        TimePoint expiresAt{};
    };
    struct Key {
        EtcdValue value;
        int64_t modRevision = 0;
    };
    static Error down() { return makeError("etcd", "no etcd member answered (all unreachable)"); }
    int64_t modRevision(const std::string& key) const {
        auto it = keys_.find(key);
        return it == keys_.end() ? 0 : it->second.modRevision;
    }
    void dropLease(int64_t id) {
        if (!leases_.erase(id)) return;
        for (auto it = keys_.begin(); it != keys_.end();) {
            if (it->second.value.lease == id) {
                it = keys_.erase(it);
                ++revision_;
            } else {
                ++it;
            }
        }
    }
    void expire() {
        for (auto it = leases_.begin(); it != leases_.end();) {
            const int64_t id = it->first;
            ++it;
            if (leases_[id].expiresAt <= clock_.now()) dropLease(id);
        }
    }

    const Clock& clock_;
    int64_t revision_ = 1;
    int64_t nextLease_ = 100;
    std::map<int64_t, Lease> leases_;
    std::map<std::string, Key> keys_;
};

}  // namespace jupiter::testing
