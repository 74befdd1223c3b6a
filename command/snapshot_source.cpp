// Consistent copies of the state for replicas; see snapshot_source.hpp.
#include "command/snapshot_source.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace jupiter {
namespace {

constexpr std::size_t kMaxCopies = 4;          // replicas installing at once; a fifth evicts the least used
constexpr uint64_t kDefaultChunkBytes = 1u << 20;
constexpr uint64_t kMinChunkBytes = 1u << 10;
// Keys and values of a chunk: within a message (kMaxMessageBytes) and the decoder's 65,536 array entries.
constexpr uint64_t kMaxChunkBytes = kMaxMessageBytes / 2;
constexpr std::size_t kMaxChunkRecords = 16384;

}  // namespace

SnapshotSource::SnapshotSource(Store& store, const Clock& clock, Judge judge)
    : store_(store), clock_(clock), judge_(std::move(judge)) {}

SnapshotSource::Copy* SnapshotSource::find(uint64_t id) {
    auto it = std::find_if(copies_.begin(), copies_.end(), [id](const Copy& c) { return c.id == id; });
    return it == copies_.end() ? nullptr : &*it;
}

void SnapshotSource::drop(uint64_t id) {
    std::erase_if(copies_, [id](const Copy& c) { return c.id == id; });
}

void SnapshotSource::expire() {
    const TimePoint now = clock_.now();
    std::erase_if(copies_, [&](const Copy& c) {
        if (now - c.used < kSnapshotIdle) return false;
        note(fmt::format("snapshot copy {} at sequence {} let go: no request for {} ms", c.id, c.point.seq,
                         kSnapshotIdle.count()));
        return true;
    });
}

void SnapshotSource::note(const std::string& what) { news_ += (news_.empty() ? "" : "; ") + what; }

std::string SnapshotSource::takeNews() { return std::exchange(news_, {}); }

Result<std::string> SnapshotSource::answer(const Doc& body, const SnapshotPoint& now) {
    expire();
    const uint64_t wanted = body.value("snapshot", uint64_t{0});
    const std::string after = body.value("after", std::string());
    const uint64_t maxBytes =
        std::clamp<uint64_t>(body.value("max_bytes", kDefaultChunkBytes), kMinChunkBytes, kMaxChunkBytes);
    Copy* copy = nullptr;
    if (wanted == 0) {
        if (copies_.size() >= kMaxCopies) {
            auto oldest = std::min_element(copies_.begin(), copies_.end(),
                                           [](const Copy& a, const Copy& b) { return a.used < b.used; });
            copies_.erase(oldest);
        }
        copies_.push_back({nextId_++, now, std::make_unique<SnapshotView>(store_.db()), clock_.now(), {}, 0});
        copy = &copies_.back();
        note(fmt::format("snapshot copy {} taken at sequence {} for a replica", copy->id, now.seq));
    } else {
        copy = find(wanted);
        if (!copy)
            return makeError("snapshot_gone", fmt::format("snapshot copy {} is not held here (let go after {} ms "
                                                          "without a request, or this node restarted); start over",
                                                          wanted, kSnapshotIdle.count()));
    }
    copy->used = clock_.now();
    const PointStanding standing = judge_(copy->point);
    if (standing == PointStanding::TakenBack) {
        const uint64_t id = copy->id;
        drop(id);
        return makeError("snapshot_gone", fmt::format("snapshot copy {} held writes that were taken back (this node "
                                                      "was deposed); start over from the leader",
                                                      id));
    }

    std::string records;
    uint32_t items = 0;
    bool full = false;
    copy->view->scan(kStatePrefix, after, [&](std::string_view k, std::string_view v) {
        if (records.size() >= maxBytes || items / 2 >= kMaxChunkRecords) {
            full = true;
            return false;
        }
        packStr(records, k);
        packStr(records, v);
        items += 2;
        return true;
    });
    copy->records += items / 2;
    const bool done = !full && standing == PointStanding::Committed;

    std::string out;
    out.reserve(records.size() + 96);
    packMapHeader(out, 5);
    packStr(out, "digest");
    packU64(out, copy->point.digest);
    packStr(out, "done");
    packBool(out, done);
    packStr(out, "records");
    packArrayHeader(out, items);
    out += records;
    packStr(out, "seq");
    packU64(out, copy->point.seq);
    packStr(out, "snapshot");
    packU64(out, copy->id);
    if (done) {
        note(fmt::format("snapshot copy {} at sequence {} sent: {} records in {:.2f} s", copy->id, copy->point.seq,
                         copy->records, std::chrono::duration<double>(clock_.now() - copy->taken).count()));
        drop(copy->id);
    }
    return out;
}

}  // namespace jupiter
