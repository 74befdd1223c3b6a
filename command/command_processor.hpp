// Turns commands into durable events with group commit: commands handled in one turn of the event
// loop share one transaction and one WAL sync. Each command is deduplicated by its client and
// request id (remembered outcomes live in the same store, written in the same batch as the events;
// the same client's id sent again with another command is refused as id_reused), decided
// against the write model as the group has left it so far, and its events applied at once, so the
// next command of the group sees them. Nothing is acknowledged before commit() returns.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/zmq_util.hpp"
#include "schemas/envelope.hpp"
#include "store/store.hpp"

namespace jupiter {

// How many request outcomes are remembered for deduplication (oldest forgotten first). A client
// that resends a command after this many newer commands gets it applied again; at the default
// that is 100,000 commands, hours of a busy client's retries.
inline constexpr uint64_t kDefaultDedupKeep = 100'000;

class CommandProcessor {
public:
    struct Reply {
        Frames route;
        std::string bytes;
    };
    struct Group {
        std::vector<Reply> replies;
        Doc events = Doc::array();  // {seq, name, at, body} written by this group
    };

    // `node` names this command node in its replies.
    CommandProcessor(Store& store, const Clock& clock, std::string node, bool sync,
                     uint64_t dedupKeep = kDefaultDedupKeep);

    // Adds one command (already decoded and schema-checked) to the current group.
    void handle(Frames route, const Envelope& cmd);
    bool hasPending() const { return !pending_.empty(); }
    // Commits the group (one synced write) and returns what to send. An Error means the disk
    // refused the write: the node must stop; nothing of the group was acknowledged. `seal`, when
    // given, adds to the group's transaction just before it is written (the replication log entry).
    Result<Group> commit(const std::function<void(StoreTxn&)>& seal = {});
    // Forgets the open group and rereads the store (after something else wrote to it: a standby
    // that applied the leader's entries and now leads).
    void reload();
    uint64_t head() const { return store_.seq(); }
    // Told of each command's outcome as it is decided: "ok", "duplicate" (answered from the
    // deduplication record), or the error code (metrics).
    void onDecided(std::function<void(const std::string& name, const std::string& outcome)> f) {
        decided_ = std::move(f);
    }

private:
    void decided(const std::string& name, const std::string& outcome) {
        if (decided_) decided_(name, outcome);
    }
    void remember(const Envelope& cmd, const Envelope& reply);

    Store& store_;
    const Clock& clock_;
    std::string node_;
    bool sync_;
    uint64_t dedupKeep_;
    uint64_t dedupCount_ = 0;
    std::unique_ptr<StoreTxn> txn_;
    std::vector<Reply> pending_;
    Doc events_ = Doc::array();
    std::function<void(const std::string&, const std::string&)> decided_;
};

}  // namespace jupiter
