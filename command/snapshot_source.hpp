// Serves consistent copies of this command node's state (the records under "s/", which every read
// model holds identically) to query nodes that are new or far behind: they install a copy, then
// replay only the events after it, instead of the whole history.
//
// A copy is a RocksDB snapshot taken when a replica asks for a new one, at the store's sequence and
// digest then. It is read out by key in chunks of about the size asked for, one per request, and
// let go when its last chunk has gone out, or after kSnapshotIdle without a request. A copy is
// finished ("done") only once the sequence it was taken at is committed: a leader may hold groups
// that no standby has yet. Until then the last request is answered with no records and not done
// (ask again); if those groups are taken back (a deposed leader's), the copy is dropped and the
// replica told to start over.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "election/leadership.hpp"
#include "common/clock.hpp"
#include "common/doc.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace jupiter {

inline constexpr Millis kSnapshotIdle{10000};

// Where a copy was taken: the store's sequence and digest, and the replication log's last entry
// then ({0, 0} without replication).
struct SnapshotPoint {
    uint64_t seq = 0;
    uint64_t digest = 0;
    LogPosition at;
};

enum class PointStanding { Pending, Committed, TakenBack };

class SnapshotSource {
public:
    // `judge` says whether a point is committed yet, or was taken back.
    using Judge = std::function<PointStanding(const SnapshotPoint&)>;
    SnapshotSource(Store& store, const Clock& clock, Judge judge);

    // Answers one "snapshot" request {snapshot: copy id (0 or absent: take a new copy at `now`),
    // after: the last key received ("" or absent: from the first), max_bytes}: the reply body,
    // packed ({snapshot, seq, digest, records: [key, value, ...], done}), or an error naming why
    // the replica must start over.
    Result<std::string> answer(const Doc& body, const SnapshotPoint& now);
    // Lets go of copies no request has used for kSnapshotIdle.
    void expire();
    std::size_t held() const { return copies_.size(); }

    // A message about each copy begun or finished, for the node's log (empty when none).
    std::string takeNews();

private:
    struct Copy {
        uint64_t id = 0;
        SnapshotPoint point;
        std::unique_ptr<SnapshotView> view;
        TimePoint taken{};
        TimePoint used{};
        uint64_t records = 0;
    };
    Copy* find(uint64_t id);
    void drop(uint64_t id);
    void note(const std::string& what);  // adds to the news

    Store& store_;
    const Clock& clock_;
    Judge judge_;
    std::deque<Copy> copies_;
    uint64_t nextId_ = 1;
    std::string news_;
};

}  // namespace jupiter
