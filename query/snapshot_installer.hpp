// A replica that is new or far behind installs a copy of a command node's state (a snapshot, see
// command/snapshot_source.hpp) instead of replaying the whole history, then replays what follows
// the copy's sequence. This class drives one install: which command node to ask, which chunk
// next, retries, and the store's crash-safe install (store/install.hpp). Time is injected.
//
// One request is in flight at a time. A reply that says the copy is not finished yet (its last
// groups are not committed) is asked again shortly; an answer that does not come within the
// timeout, a copy the source no longer holds, a bad chunk or a digest that does not match start
// the install over, from the next command node.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/doc.hpp"
#include "common/result.hpp"
#include "store/install.hpp"
#include "store/store.hpp"

namespace jupiter {

class SnapshotInstaller {
public:
    struct Request {
        std::string node;  // the command node to send it to
        std::string id;    // the request's id (its answer carries it)
        Doc body;          // a "snapshot" request body
    };
    struct Finished {
        uint64_t seq = 0;
        uint64_t records = 0;
        double seconds = 0;
    };

    // `sources`: the command nodes, in configured order; `chunkBytes`: asked for per chunk.
    SnapshotInstaller(Store& store, const Clock& clock, std::vector<std::string> sources, uint64_t chunkBytes,
                      Millis timeout);

    bool active() const { return install_.has_value(); }
    // Begins an install (every state record of this store goes at once), from `source` if it is
    // one of the sources, else the first. Fails only when the store refuses the write.
    Status start(const std::string& source);
    // The request to send now, if one is due.
    std::optional<Request> due();
    // The request from due() could not be sent (not connected to that node yet): try again shortly.
    void unsent();
    // Takes the answer `id` from `node` to the request in flight (others, late or not ours, are
    // ignored): nothing while the install goes on, what was installed once it is finished, an
    // Error when the store refused a write.
    Result<std::optional<Finished>> onReply(const std::string& node, const std::string& id, const Doc& body,
                                            bool isError);
    // Why the last attempt started over (for the log; empty if none since the last call).
    std::string takeTrouble();

    uint64_t records() const { return install_ ? install_->records() : 0; }
    const std::string& source() const { return sources_[source_]; }

private:
    Status restart(const std::string& why);

    Store& store_;
    const Clock& clock_;
    std::vector<std::string> sources_;
    uint64_t chunkBytes_;
    Millis timeout_;
    std::optional<StateInstall> install_;
    std::size_t source_ = 0;
    uint64_t copy_ = 0;            // the source's copy id (0: ask for a new copy)
    uint64_t seq_ = 0, digest_ = 0;
    std::optional<TimePoint> sentAt_;  // the request in flight
    std::string sentId_;
    uint64_t requests_ = 0;
    TimePoint nextAt_{};               // no request before this
    TimePoint started_{};
    std::string trouble_;
};

}  // namespace jupiter
