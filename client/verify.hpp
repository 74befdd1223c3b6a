// Proof of convergence (`jupiter verify`): waits until every query replica has applied the command
// node's head, then compares the state digest of the write model and of each read model at that
// same sequence; on a disagreement, pages through both stores' record hashes to name the first
// record that differs.
#pragma once

#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/config.hpp"
#include "security/credentials.hpp"
#include "common/doc.hpp"
#include "common/result.hpp"

namespace jupiter {

struct NodeDigest {
    std::string node;
    uint64_t seq = 0;
    uint64_t digest = 0;
    uint64_t records = 0;
};

struct VerifyReport {
    bool agree = false;
    uint64_t seq = 0;
    std::vector<NodeDigest> nodes;
    std::vector<std::string> differences;  // "query-2: first differing record s/sale/..., ..."
    Doc toDoc() const;
};

// Errors: "unavailable" when a node does not answer, "not_quiescent" when the replicas do not
// reach the head within `wait` (writes keep coming, or a replica is stuck).
Result<VerifyReport> verifyCluster(zmq::context_t& ctx, const Credentials& credentials, const Config& config,
                                   Millis wait);

}  // namespace jupiter
