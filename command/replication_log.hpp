// The command nodes' replication log. Every group the leader commits becomes one numbered entry
// (index, epoch of the leader that wrote it, the store's sequence and digest after it, and the
// group's writes in RocksDB's WriteBatch format), stored in the same atomic write as the group.
// A standby applies entries in order, in one synced write per fetch, and checks its digest against
// the leader's after each: the two stores stay identical key for key (events, write model,
// remembered outcomes).
//
// Every entry also keeps an undo record (the values its writes replaced) until it is known to be
// committed (on the leader and one standby), so that a node that wrote entries no one else has -
// a deposed leader - can take them back (truncate) and follow the new leader's history. Where two
// logs part is found as Kafka does it (KIP-101 / KIP-279: the leader's end index for the epoch of
// the follower's last entry), using the epoch history kept here: the first index of each epoch.
//
// Keys: "l/r/<index>" entry, "l/u/<index>" undo, "l/e/<epoch>" first index of an epoch, "m/log" last
// position, "m/commit" known commit index and how far records were pruned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "election/leadership.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace jupiter {

struct LogEntry {
    uint64_t index = 0;
    uint64_t epoch = 0;
    uint64_t seq = 0;     // the store's sequence after this entry
    uint64_t digest = 0;  // the store's digest after this entry
    std::string writes;   // WriteBatch format
};
std::string encodeEntry(const LogEntry& e);
Result<LogEntry> decodeEntry(uint64_t index, std::string_view bytes);

// Entries older than this many behind the commit index are forgotten (the event log itself is kept
// for ever); a standby further behind than that must be re-seeded from a copy of another's store.
inline constexpr uint64_t kRetainEntries = 200'000;

class ReplicationLog {
public:
    explicit ReplicationLog(Store& store);

    LogPosition last() const { return last_; }
    uint64_t commit() const { return commit_; }
    // The store's sequence after entry `index` (index 0: nothing; an index beyond the log: its end).
    uint64_t seqAt(uint64_t index) const;
    std::optional<uint64_t> epochAt(uint64_t index) const;
    // The store's digest after entry `index` (nothing for 0, an entry not held, or one forgotten).
    std::optional<uint64_t> digestAt(uint64_t index) const;
    // The last index of this log written in `epoch` or an earlier one.
    uint64_t endOf(uint64_t epoch) const;
    // The first index written in `epoch` (0 if this log has none).
    uint64_t startOf(uint64_t epoch) const;
    // The largest epoch of this log that is not larger than `epoch` (0 if none).
    uint64_t latestEpochUpTo(uint64_t epoch) const;
    // Entries up to here are forgotten (see kRetainEntries): a follower needing them must be re-seeded.
    uint64_t forgotten() const { return prunedEntries_; }

    // Where a follower whose last entry is `followerLast` parts from this log (Kafka's KIP-279): the
    // latest epoch both may share, and where this log's history of it ends (at most followerLast's index).
    struct Parting {
        uint64_t epoch = 0;
        uint64_t end = 0;
    };
    Parting partingFor(LogPosition followerLast) const;
    // Follower: the index to take back to, given the leader's Parting (always below its last entry
    // when the two logs really differ there).
    uint64_t cutFor(Parting p) const { return std::min(p.end, endOf(p.epoch)); }

    // Leader: makes the writes in `txn` (possibly none) entry last+1 of `epoch`, adding the entry,
    // its undo record and the log's bookkeeping to `txn`. Call just before Store::commit.
    uint64_t record(StoreTxn& txn, uint64_t epoch);
    // Call after that commit succeeded (or reload by reopening).
    void recorded();
    // Standby: applies consecutive entries from last+1 in one write; nothing changes on an error
    // (an entry that does not decode, does not follow, or leaves another digest than its writer's).
    Status append(const std::vector<LogEntry>& entries, bool sync);
    // Up to `maxBytes` of entries from `from` on (at least one if there is any).
    std::vector<LogEntry> read(uint64_t from, std::size_t maxBytes) const;
    // Takes back every entry after `index` in one synced write. Refused below the commit index.
    Status truncate(uint64_t index);
    // A larger known commit index (kept in memory; written with the next entry).
    void setCommit(uint64_t index);

private:
    void bookkeeping(StoreTxn& txn, const LogEntry& e, const std::string& undo, uint64_t seqBefore);
    void prune(StoreTxn& txn);
    void load();

    Store& store_;
    LogPosition last_;
    LogPosition pendingLast_;
    uint64_t commit_ = 0;
    uint64_t prunedUndo_ = 0;     // undo records up to here are gone
    uint64_t prunedEntries_ = 0;  // entries up to here are gone
    uint64_t pendingUndo_ = 0;
    uint64_t pendingEntries_ = 0;
};

}  // namespace jupiter
