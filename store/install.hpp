// Installing another node's state records in place of this store's: a query node that is new or
// far behind copies a command node's state at one sequence (a snapshot) instead of replaying the
// whole history, then replays from that sequence on.
//
// The install is crash-safe by a marker: `begin` removes every state record, writes the marker and
// sets the sequence to 0 in one synced write; records are then added in key order; `finish` checks
// the digest of everything added against the source's and, in one synced write, sets the sequence
// and removes the marker. A process killed in between leaves the marker, and the next start begins
// again from nothing (`interrupted`): a half-installed state is never served or replayed onto.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"
#include "store/store.hpp"

namespace jupiter {

class StateInstall {
public:
    using Record = std::pair<std::string_view, std::string_view>;

    // Whether an install was started and not finished (the marker is on disk).
    static bool interrupted(const Store& store);
    // Removes every state record, marks the store as installing, sequence and digest 0 (synced).
    static Result<StateInstall> begin(Store& store);

    // Adds state records (keys under "s/", ascending, each after the last one added), unsynced: a
    // crash before `finish` starts the install over anyway.
    Status add(std::span<const Record> records);
    // Ends the install at `seq`, if what was added has the digest `digest` (else nothing changes and
    // the error says so: start again).
    Status finish(uint64_t seq, uint64_t digest);

    uint64_t records() const { return records_; }
    const std::string& lastKey() const { return last_; }

private:
    explicit StateInstall(Store& store) : store_(&store) {}
    Store* store_;
    uint64_t digest_ = 0;  // of the records added so far
    uint64_t records_ = 0;
    std::string last_;
};

}  // namespace jupiter
